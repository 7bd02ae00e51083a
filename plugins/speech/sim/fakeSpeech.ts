import { readFile, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import busboy from 'busboy';
import { compressedFormat, decodeCompressed } from '../src/decodeCompressed.js';
import { encode, FAKE_TTS_FORMATS, speak } from './fakeVoice.js';
import { fingerprint, heardWords } from './hearing.js';
import { guardedFastApiHandler, parakeetFormErrors, parseSpeechRequest } from './requestSchemas.js';
import { readChunks, wavDuration, type TruthWord } from './wav.js';

/** Called when a fake answered a request, as the real service's access log line would be written. */
export type AccessLog = (req: IncomingMessage, status: number) => void;

/** The real services take MP3/FLAC/Opus as well as WAV: the fake decodes them (with Spark Control's own decoder)
 *  before it listens. undefined = not such a file, or one that does not decode. */
async function decodedWav(file: Buffer): Promise<Buffer | undefined> {
  const format = compressedFormat(file.subarray(0, 128));
  if (!format) return undefined;
  const path = join(tmpdir(), `fake-parakeet-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    await writeFile(path, file);
    await decodeCompressed(path, format);
    return await readFile(path);
  } catch {
    return undefined;
  } finally {
    await unlink(path).catch(() => {});
  }
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function readForm(req: IncomingMessage, res: ServerResponse): Promise<{ fields: Record<string, string[]>; file?: Buffer; total: number }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string[]> = Object.create(null);
    let file: Buffer | undefined;
    let total = 0;
    let bb: busboy.Busboy;
    try { bb = busboy({ headers: req.headers }); } catch (e) { reject(e); return; }
    bb.on('field', (n, v) => (fields[n] ??= []).push(v));
    // Keep only the first MiB (headers and the truth chunk live there); count the rest, so a huge upload costs no memory.
    bb.on('file', (_n, stream) => {
      const parts: Buffer[] = [];
      let kept = 0;
      stream.on('error', () => {});
      stream.on('data', (d: Buffer) => { total += d.length; if (kept < 1 << 20) { parts.push(d); kept += d.length; } });
      stream.on('end', () => { file = Buffer.concat(parts); });
    });
    bb.on('close', () => resolve({ fields, file, total }));
    bb.on('error', reject);
    // A client that goes away mid-upload must not leave the "GPU" marked busy.
    req.on('close', () => { if (!req.complete) reject(new Error('client went away')); });
    res.on('close', () => reject(new Error('client went away')));
    req.pipe(bb);
  });
}

/** ASR tokens as the Spark's parakeet server emits them: SentencePiece pieces (long words split, the tail without
 *  `▁`), no leading spaces, punctuation as its own zero-length token. */
function asrTokens(truth: TruthWord[]) {
  const out: Array<{ word: string; start: number; end: number }> = [];
  for (const w of truth) {
    const m = /^(.*?)([.,!?;:]*)$/.exec(w.word)!;
    const core = m[1], punct = m[2];
    if (core.length > 8) {
      const mid = w.start + ((w.end - w.start) * 5) / core.length;
      out.push({ word: '▁' + core.slice(0, 5), start: w.start, end: mid }, { word: core.slice(5), start: mid, end: w.end });
    } else out.push({ word: '▁' + core, start: w.start, end: w.end });
    if (punct) out.push({ word: punct, start: w.end, end: w.end });
  }
  return out;
}

/** Speaker turns as Sortformer would give them: contiguous runs, arrival-ordered labels, boundaries jittered a little,
 *  at most 4 speakers (a 5th is silently merged into the 4th, as the real model does). `voice` is the simulated
 *  person behind each label (for the fingerprints). */
function turns(truth: TruthWord[]) {
  const order: string[] = [];
  const out: Array<{ start: number; end: number; speaker: string }> = [];
  for (const w of truth) {
    if (!order.includes(w.speaker)) order.push(w.speaker);
    const idx = Math.min(order.indexOf(w.speaker), 3);
    const speaker = `speaker_${idx}`;
    const last = out[out.length - 1];
    if (last && last.speaker === speaker && w.start - last.end < 0.8) last.end = Math.max(last.end, w.end);
    else out.push({ start: w.start, end: w.end, speaker });
  }
  const jittered = out.map((t, i) => ({ start: Math.max(0, t.start + (i % 2 ? 0.06 : -0.04)), end: t.end + (i % 2 ? -0.05 : 0.07), speaker: t.speaker }));
  return { turns: jittered, voice: new Map(order.slice(0, 4).map((s, i) => [`speaker_${i}`, s])) };
}

/** Fake parakeet ASR + Sortformer service. One request at a time, like the GPU service: an overlapping request gets
 *  503 + Retry-After. `maxInFlight` counts what the upstream saw (tests assert it never exceeds 1). "GPU" time per
 *  request: `processingMs`, plus `msPerAudioSec` for each second of audio (a real recogniser's time grows with the
 *  audio); `busyMs` sums each served request's own time, from its first byte to its answer (the ASR time alone). */
export function startFakeParakeet(opts: { processingMs?: number; msPerAudioSec?: number; accessLog?: AccessLog } = {}) {
  const state = { inFlight: 0, maxInFlight: 0, requests: 0, cancelled: 0, busyMs: 0, diarized: [] as Array<{ endpoint: string; offset: number; duration: number; speakers: number; maxSpeakers?: string }>, asrChannels: [] as number[] };
  const server = createServer(guardedFastApiHandler('parakeet', async (req, res) => {
    const url = req.url ?? '/';
    if (url === '/health') return send(res, 200, { status: 'ok' });
    if (url === '/__sim/state') return send(res, 200, state);
    if (req.method !== 'POST') return send(res, 404, { detail: 'Not Found' });
    if (state.inFlight > 0) { req.resume(); return send(res, 503, { detail: 'GPU busy: one request at a time' }, { 'retry-after': '2' }); }
    state.inFlight++; state.requests++;
    const started = performance.now();
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    let closed = false;
    res.on('close', () => { if (!res.writableFinished) { closed = true; state.cancelled++; } });
    try {
      const form = await readForm(req, res);
      const invalid = parakeetFormErrors(form);
      if (invalid) return send(res, 422, invalid);
      const decoded = form.file ? await decodedWav(form.file) : undefined;
      const wav = decoded ?? form.file ?? Buffer.alloc(0);
      const duration = wavDuration(wav, decoded ? decoded.length : form.total);
      if (!duration) return send(res, 422, { detail: 'could not decode audio' });
      await new Promise((r) => setTimeout(r, (opts.processingMs ?? 50) + duration * (opts.msPerAudioSec ?? 0)));
      if (closed) return;
      const heard = heardWords(wav, duration);
      if (url === '/v1/audio/transcriptions') {
        const words = asrTokens(heard.asr);
        // Channels of each WAV the recogniser got (a stereo call sent whole would be downmixed); 0 = not a WAV.
        state.asrChannels.push(!decoded && wav.length >= 24 && wav.toString('ascii', 0, 4) === 'RIFF' ? (readChunks(wav).get('fmt ')?.readUInt16LE(2) ?? 0) : 0);
        if (state.asrChannels.length > 50) state.asrChannels.shift();
        return send(res, 200, { task: 'transcribe', language: 'en', duration, text: heard.asr.map((w) => w.word).join(' '), words, segments: [] });
      }
      if (url === '/v1/audio/diarize' || url === '/v1/audio/diarize-chunk') {
        const t = turns(heard.diarizer);
        const speakers = [...new Set(t.turns.map((x) => x.speaker))];
        const label = (s: string) => s.replace('speaker_', 'Speaker_');
        state.diarized.push({ endpoint: url, offset: heard.offset, duration, speakers: speakers.length, ...(form.fields.max_speakers ? { maxSpeakers: form.fields.max_speakers[0] } : {}) });
        if (state.diarized.length > 50) state.diarized.shift();
        return send(res, 200, {
          duration, speakers_detected: speakers.length, segments: t.turns.map((x) => ({ start_s: x.start, end_s: x.end, speaker: label(x.speaker) })),
          fingerprints: Object.fromEntries(speakers.map((s) => [label(s), fingerprint(t.voice.get(s)!, heard.offset)])),
          models: { diarization: 'nvidia/diar_sortformer_4spk-v1', embedding: 'nvidia/speakerverification_en_titanet_large' },
        });
      }
      send(res, 404, { detail: 'Not Found' });
    } catch {
      send(res, 400, { detail: 'bad multipart body' });
    } finally {
      state.inFlight--;
      state.busyMs += performance.now() - started;
    }
  }));
  // What the real service prints per request, into its container's docker log (see sim/seedHost.ts).
  if (opts.accessLog) server.on('request', (req: IncomingMessage, res: ServerResponse) => res.on('finish', () => opts.accessLog!(req, res.statusCode)));
  return new Promise<{ port: number; close(): Promise<void> }>((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  })));
}

const VOICES = ['af_bella', 'af_sky', 'af_heart', 'am_adam', 'bf_emma', 'bm_george'];
const OPENAI_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse'];

/** Fake Kokoro-FastAPI: `/v1/audio/voices` and a speech endpoint that streams audio in several chunks over time. */
export function startFakeKokoro(opts: { accessLog?: AccessLog } = {}) {
  const server = createServer(guardedFastApiHandler('kokoro', async (req, res) => {
    const url = req.url ?? '/';
    if (url === '/health' || url === '/v1/models') return send(res, 200, { status: 'ok' });
    if (url === '/v1/audio/voices') return send(res, 200, { voices: VOICES });
    if (req.method === 'POST' && url === '/v1/audio/speech') {
      let s = '';
      for await (const c of req) s += c;
      const parsed = parseSpeechRequest(s);
      if (!parsed.ok) return send(res, parsed.status, parsed.error);
      const b = parsed.body;
      // Kokoro adds (+) and subtracts (-) voices, and maps OpenAI's voice names onto its own.
      const parts = String(b.voice ?? '').split(/[+-]/).map((v) => v.replace(/\(\d+(\.\d+)?\)$/, ''));
      if (!b.input || !parts.length || parts.some((v) => !VOICES.includes(v) && !OPENAI_VOICES.includes(v))) return send(res, 400, { detail: { error: 'validation_error', message: `unknown voice ${b.voice}` } });
      const format = b.response_format ?? 'mp3';
      if (!FAKE_TTS_FORMATS[format]) return send(res, 400, { detail: { error: 'validation_error', message: `response_format ${format} is not produced by the simulated Kokoro (it makes ${Object.keys(FAKE_TTS_FORMATS).join(', ')})`, type: 'invalid_request_error' } });
      const text = String(b.input);
      const wav = encode(await speak(text, typeof b.speed === 'number' && b.speed > 0 ? b.speed : 1), text, format)!;
      res.writeHead(200, { 'content-type': FAKE_TTS_FORMATS[format], 'transfer-encoding': 'chunked' });
      const n = 8;
      for (let i = 0; i < n; i++) {
        res.write(wav.subarray(Math.floor((i * wav.length) / n), Math.floor(((i + 1) * wav.length) / n)));
        await new Promise((r) => setTimeout(r, 25));
      }
      res.end();
      return;
    }
    send(res, 404, { detail: 'Not Found' });
  }));
  // What the real service prints per request, into its container's docker log (see sim/seedHost.ts).
  if (opts.accessLog) server.on('request', (req: IncomingMessage, res: ServerResponse) => res.on('finish', () => opts.accessLog!(req, res.statusCode)));
  return new Promise<{ port: number; close(): Promise<void> }>((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  })));
}
