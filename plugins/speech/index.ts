import { defineSparkPlugin } from '../../core/src/api/index.js';
import { startFakeKokoro, startFakeParakeet } from './sim/fakeSpeech.js';
import { speechConfigSchema } from './src/config.js';
import { registerSpeech } from './src/register.js';

/** Parakeet transcription + Sortformer diarization, speaker-labelled transcripts, Kokoro TTS — one request at a time per GPU service. */
export default defineSparkPlugin({
  manifest: { id: 'speech', name: 'Speech', version: '1.0.0', apiVersion: '^1.0.0', description: 'Transcription, diarization, speaker-labelled transcripts and text to speech.' },
  configSchema: speechConfigSchema,
  register: registerSpeech,
  simulators: [
    { service: 'parakeet', hostId: 'spark-2', start: () => startFakeParakeet() },
    { service: 'kokoro', hostId: 'spark-2', start: () => startFakeKokoro() },
  ],
});
