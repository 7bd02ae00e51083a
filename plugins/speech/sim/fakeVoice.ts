import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Mp3Encoder } from '@breezystack/lamejs';
import { voicedSegments } from './placeholderHearing.js';
import { pcmWav, readChunks, type TruthWord } from './wav.js';

/** The simulated Kokoro's voice: espeak-ng reading the text where it is installed (so it sounds like speech), else a
 *  babble of syllable-like bursts, one group per word. The WAV carries the words it spoke (`sctx` chunk, timed to the
 *  voiced stretches), so the fake recogniser hears a TTS answer sent back to it as the words that went in. */
export const KOKORO_RATE = 24000;
const ESPEAK = ['/usr/bin/espeak-ng', '/usr/local/bin/espeak-ng'].find((p) => existsSync(p));
const MAX_SECONDS = 30;

/** Formats the fake encodes, with their content types (Kokoro's own list also has opus, flac and aac). */
export const FAKE_TTS_FORMATS: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', pcm: 'audio/pcm' };

function resample(src: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return src;
  const out = new Int16Array(Math.floor((src.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const x = (i * from) / to, a = Math.floor(x), f = x - a;
    out[i] = Math.round(src[a] * (1 - f) + (src[Math.min(a + 1, src.length - 1)] ?? 0) * f);
  }
  return out;
}

/** espeak-ng's WAV for `text` (read from stdin, so no text is ever taken as an option), undefined where it fails. */
function espeak(text: string, speed: number): Promise<Int16Array | undefined> {
  if (!ESPEAK) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(ESPEAK, ['--stdout', '-s', String(Math.round(160 * speed))], { encoding: 'buffer', timeout: 10_000, maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const c = readChunks(stdout);
      const fmt = c.get('fmt '), data = c.get('data');
      if (!fmt || !data) return resolve(undefined);
      // espeak-ng streams to a pipe with a placeholder length: take the bytes that came.
      const body = stdout.subarray(data.byteOffset - stdout.byteOffset);
      const pcm = new Int16Array(body.buffer.slice(body.byteOffset, body.byteOffset + (body.length & ~1)));
      resolve(resample(pcm, fmt.readUInt32LE(4), KOKORO_RATE));
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(text);
  });
}

/** Syllable-like bursts (a pitch with two formant-ish partials under an envelope), a pause between words. */
function babble(text: string, speed: number): Int16Array {
  const words = text.split(/\s+/).filter(Boolean);
  const parts: number[] = [];
  let n = 0;
  for (const w of words) {
    const syllables = Math.max(1, Math.round(w.length / 3));
    for (let s = 0; s < syllables; s++) {
      const len = Math.round((0.16 / speed) * KOKORO_RATE), f0 = 110 + ((n++ * 37) % 60);
      for (let i = 0; i < len; i++) {
        const t = i / KOKORO_RATE, env = Math.sin((Math.PI * i) / len);
        parts.push(Math.round(env * 5000 * (Math.sin(2 * Math.PI * f0 * t) + 0.5 * Math.sin(2 * Math.PI * 700 * t) + 0.3 * Math.sin(2 * Math.PI * 1200 * t))));
      }
    }
    for (let i = 0; i < Math.round((0.12 / speed) * KOKORO_RATE); i++) parts.push(0);
  }
  return Int16Array.from(parts);
}

/** The input's words laid over the voiced stretches of the audio, each stretch's share by character count. */
function spokenWords(text: string, pcm: Int16Array): TruthWord[] {
  const words = text.split(/\s+/).filter(Boolean);
  const segs = voicedSegments(Float64Array.from(pcm), KOKORO_RATE, 30);
  if (!segs.length || !words.length) return [];
  const start = segs[0].start, end = segs[segs.length - 1].end;
  const total = words.reduce((s, w) => s + w.length + 1, 0);
  let at = 0;
  return words.map((w) => {
    const a = start + ((end - start) * at) / total;
    at += w.length + 1;
    return { word: w, start: +a.toFixed(3), end: +(start + ((end - start) * (at - 1)) / total).toFixed(3), speaker: 'kokoro' };
  });
}

/** 24 kHz mono samples of `text` spoken, at most 30 s. */
export async function speak(text: string, speed = 1): Promise<Int16Array> {
  const pcm = (await espeak(text, speed)) ?? babble(text, speed);
  return pcm.length > MAX_SECONDS * KOKORO_RATE ? pcm.subarray(0, MAX_SECONDS * KOKORO_RATE) : pcm;
}

/** The audio in `format`, or undefined for a format the fake cannot encode. */
export function encode(pcm: Int16Array, text: string, format: string): Buffer | undefined {
  if (format === 'pcm') return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  if (format === 'wav') return pcmWav(pcm, KOKORO_RATE, 1, { id: 'sctx', data: Buffer.from(JSON.stringify(spokenWords(text, pcm))) });
  if (format === 'mp3') {
    const enc = new Mp3Encoder(1, KOKORO_RATE, 64);
    const out: Buffer[] = [];
    const keep = (b: ArrayBufferView) => out.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    for (let i = 0; i < pcm.length; i += 1152) keep(enc.encodeBuffer(pcm.subarray(i, i + 1152)));
    keep(enc.flush());
    return Buffer.concat(out);
  }
  return undefined;
}
