import { IMPOSSIBLE, VersionInfo } from '@start9labs/start-sdk'

/** Upstream part = the app's package.json version; `:N` counts wrapper-only revisions. */
export const current = VersionInfo.of({
  version: '0.1.0:0',
  releaseNotes: [
    'First release of Spark Control for StartOS.',
    '',
    '- Dashboard with one card per Spark (GPU, memory, disk, containers, VPN), SSH key install, connectivity log',
    '- vLLM model swaps with live progress, a fit estimate before launch, catalog export/import, OpenAI-compatible API',
    '- Models across both Sparks (tensor parallel): launched over the link between them, copied to the second Spark; Link Sparks sets up the SSH between them',
    '- Speech: transcription (long recordings in chunks), diarization, dual-channel calls, text to speech',
    '- Embeddings and hybrid search, redaction gateway, Matrix bot management',
  ].join('\n'),
  migrations: {
    up: async () => {},
    down: IMPOSSIBLE,
  },
})
