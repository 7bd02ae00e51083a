import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SparkError, type HealthCheckResult, type PluginContext, type UpstreamRef } from '@spark-control/plugin-api';
import type { SpeechConfig } from './config.js';
import { transcribeDual } from './dualChannel.js';
import { diarizeFile, type Diarization, type DiarizeOptions } from './longDiarize.js';
import { LiveTranscription, type GrowingCopy } from './liveTranscribe.js';
import { transcribeFile, type ChunkOptions } from './longTranscribe.js';
import { UpstreamQueue } from './queue.js';
import { asrAnswer, diarAnswer, readJson } from './upstreamSchemas.js';
import { multipartFromFile } from './upload.js';
import { readWavInfo } from './wavFile.js';
import type { WavRange } from './wavSlice.js';

/** The transcription model, as answers name it and usage counts it. */
export const ASR_MODEL = 'nvidia/parakeet-tdt-0.6b';

export type SpeechService = 'parakeet' | 'kokoro';
type DiarizeEndpoint = '/v1/audio/diarize' | '/v1/audio/diarize-chunk';

/**
 * The speech plugin's state and its upstream calls: one queue per GPU service (parakeet, kokoro; sized and cooled down
 * from the settings), the spool directory for uploads, the recent requests GET /status shows, the queued ASR and
 * diarizer calls and the pipelines built on them (long audio chunked, stereo calls per channel), the health checks.
 * The routes (routes.ts, transcriptionRoute.ts) and register.ts go through it.
 */
export class SpeechCoordinator {
  readonly parakeet: UpstreamQueue;
  readonly kokoro: UpstreamQueue;
  /** Where uploads are spooled (and chunks cut) while a request runs. */
  readonly spool: string;
  private readonly recent: Array<{ at: string; route: string; ms: number; status: number }> = [];

  constructor(private readonly ctx: PluginContext<SpeechConfig>) {
    const cfg = this.cfg();
    this.parakeet = new UpstreamQueue('parakeet', cfg.maxInFlight, cfg.maxQueue);
    this.kokoro = new UpstreamQueue('kokoro', cfg.maxInFlight, cfg.maxQueue);
    ctx.history.series({ name: 'queue', unit: 'requests', help: 'Requests waiting for the speech services', sample: () => [{ labels: { service: 'parakeet' }, value: this.parakeet.depth }, { labels: { service: 'kokoro' }, value: this.kokoro.depth }] });
    this.parakeet.cooldownMs = cfg.cancelCooldownMs;
    ctx.config.watch((n) => { this.parakeet.configure(n.maxInFlight, n.maxQueue); this.kokoro.configure(n.maxInFlight, n.maxQueue); this.parakeet.cooldownMs = n.cancelCooldownMs; });
    this.spool = join(ctx.dataDir, 'spool');
    mkdirSync(this.spool, { recursive: true });
  }

  cfg(): SpeechConfig { return this.ctx.config.get(); }

  up(service: SpeechService): UpstreamRef {
    const e = this.ctx.cluster.service(service);
    return { service, hostId: e.hostId, baseUrl: e.baseUrl };
  }

  /** The upload size limit of the settings, in bytes. */
  maxBytes(): number { return this.cfg().maxUploadMB * 1024 * 1024; }

  /** Records a finished request for GET /status (the last 20; no audio or text). */
  note(route: string, t0: number, status: number): void {
    this.recent.push({ at: new Date().toISOString(), route, ms: Math.round(performance.now() - t0), status });
    if (this.recent.length > 20) this.recent.shift();
  }

  status() {
    const { parakeet, kokoro } = this;
    return { queues: { parakeet: { inFlight: parakeet.inFlight, waiting: parakeet.depth }, kokoro: { inFlight: kokoro.inFlight, waiting: kokoro.depth } }, recent: this.recent.slice().reverse() };
  }

  /** A multipart POST to parakeet (not queued: callers run it inside `parakeet.run`). */
  post(path: string, body: { body: NodeJS.ReadableStream; contentType: string }, timeoutSec: number, signal: AbortSignal) {
    return this.ctx.http.request(this.up('parakeet'), path, { method: 'POST', body: body.body as never, headers: { 'content-type': body.contentType }, timeoutMs: timeoutSec * 1000, signal });
  }

  /** A fresh WAV path in the spool, for a chunk or a channel cut from an upload. */
  readonly tmpPath = (tag: string): string => join(this.spool, `${tag}-${Date.now()}-${Math.random().toString(36).slice(2)}.wav`);

  private callAsr(path: string, filename: string, signal: AbortSignal, range?: WavRange) {
    return this.parakeet.run(async () => readJson(await this.post('/v1/audio/transcriptions', multipartFromFile(path, filename, { model: 'parakeet', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'] }, range), this.cfg().asrTimeoutSec, signal), asrAnswer, 'parakeet'), signal);
  }

  /** The queued diarizer call a pipeline makes for each file or chunk. */
  callDiarizer(signal: AbortSignal) {
    return (endpoint: DiarizeEndpoint, path: string, filename: string, fields: Record<string, string> = {}) =>
      this.parakeet.run(async () => readJson(await this.post(endpoint, multipartFromFile(path, filename, fields), this.cfg().diarizeTimeoutSec, signal), diarAnswer, 'the diarizer'), signal);
  }

  diarizeOptions(f: { mode: DiarizeOptions['mode']; chunk_seconds?: number; overlap_seconds?: number; max_speakers?: number }): DiarizeOptions {
    const l = this.cfg().longAudio;
    const chunkSec = f.chunk_seconds ?? l.chunkSec;
    return { mode: f.mode, chunkSec, overlapSec: Math.min(f.overlap_seconds ?? l.overlapSec, chunkSec / 3), clusterThreshold: l.clusterThreshold, maxSpeakers: f.max_speakers };
  }

  private asrChunking(): ChunkOptions {
    return { chunkSec: this.cfg().longAudio.asrChunkSec, overlapSec: this.cfg().longAudio.overlapSec };
  }

  /** ASR (chunked past `asrChunkSec`) and diarization (chunked past `chunkSec`) of a file on disk, each call queued. */
  pipelines(signal: AbortSignal, dOpts: DiarizeOptions) {
    return {
      diarize: (path: string, filename: string) => diarizeFile(path, filename, dOpts, { call: this.callDiarizer(signal), tmpPath: this.tmpPath }),
      transcribe: (path: string, filename: string) => transcribeFile(path, filename, this.asrChunking(), { call: (p, n, range) => this.callAsr(p, n, signal, range) }),
    };
  }

  /** Chunked ASR of a long WAV upload while it still arrives (liveTranscribe.ts), each chunk queued as above. */
  liveTranscription(copy: GrowingCopy, signal: AbortSignal): LiveTranscription {
    return new LiveTranscription(copy, this.asrChunking(), (p, n, range, s) => this.callAsr(p, n, s, range), signal);
  }

  /** The dual-channel pipeline shared by transcribe-with-speakers and /v1/audio/transcriptions: the file must be a
   *  stereo 16-bit PCM WAV; both channels are transcribed, the remote one diarized (skipped when `diarize` is false:
   *  its words then have no speaker) and bleed copies dropped (dualChannel.ts). */
  async dualChannel(path: string, f: { local_channel?: '0' | '1' | 'left' | 'right' }, dOpts: DiarizeOptions, signal: AbortSignal, o: { diarize: boolean }) {
    const wav = await readWavInfo(path);
    const bad = !wav.ok ? wav.reason : wav.info.channels !== 2 ? `has ${wav.info.channels} channel${wav.info.channels === 1 ? '' : 's'}` : wav.info.duration === 0 ? 'has no audio samples' : undefined;
    if (bad || !wav.ok) {
      throw new SparkError('SPEECH_DUAL_NEEDS_STEREO', `channel_mode=dual needs a 2-channel PCM WAV file; this file ${bad}`, { status: 400, details: { errors: [{ field: 'file', message: `${bad}; channel_mode=dual needs a stereo PCM WAV` }] } });
    }
    const dc = this.cfg().dualChannel;
    const localChannel = f.local_channel === undefined ? (dc.localChannel === 'left' ? 0 : 1) : f.local_channel === '0' || f.local_channel === 'left' ? 0 : 1;
    const thresholds = { minOverlapRatio: dc.bleedMinOverlapPct / 100, louderDb: dc.bleedLouderDb };
    const p = this.pipelines(signal, dOpts);
    const noDiarization = async (): Promise<Diarization> => ({ duration: wav.info.duration, mode: 'single', chunks: 0, turns: [], speakers: [], model: 'none', warnings: [], fingerprints: {} });
    const r = await transcribeDual(path, wav.info, { localChannel, localLabel: dc.localLabel, thresholds }, { transcribe: p.transcribe, diarize: o.diarize ? p.diarize : noDiarization, tmpPath: this.tmpPath });
    return { r, dual: { local_channel: localChannel === 0 ? 'left' : 'right', local_label: dc.localLabel, ...r.counts, thresholds: { min_overlap_pct: dc.bleedMinOverlapPct, louder_db: dc.bleedLouderDb } } };
  }

  /** The health check of one upstream: its /health answers 200. */
  async checkHealth(service: SpeechService, signal: AbortSignal): Promise<HealthCheckResult> {
    const r = await this.ctx.http.request(this.up(service), '/health', { timeoutMs: 2500, signal });
    r.body.resume();
    return r.status === 200 ? { status: 'up' } : { status: 'down', detail: `HTTP ${r.status}` };
  }
}
