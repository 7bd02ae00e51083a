import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmWav } from './sim/wav.js';
import { LiveTranscription } from './src/liveTranscribe.js';
import { transcribeFile } from './src/longTranscribe.js';
import { SpillingCopy } from './src/spillCopy.js';
import type { AsrAnswer } from './src/upstreamSchemas.js';
import type { WavRange } from './src/wavSlice.js';

let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const o = { chunkSec: 12, overlapSec: 2 };
/** A 40 s mono WAV with a metadata chunk before the audio (carried into every chunk's header): four chunks. */
const wav = pcmWav(Int16Array.from({ length: 16000 * 40 }, (_, i) => (i % 3000) - 1500), 16000, 1, { id: 'LIST', data: Buffer.alloc(9000, 7) });
const tick = () => new Promise((r) => setTimeout(r, 5));

/** A recogniser that answers one word per chunk, named after the chunk and its first sample, and records what the
 *  file held when each call came. */
function recogniser(path: string) {
  const calls: Array<{ name: string; range: WavRange; sizeAtCall: number }> = [];
  let inFlight: { signal: AbortSignal } | undefined;
  const call = async (p: string, name: string, range: WavRange | undefined, signal?: AbortSignal): Promise<AsrAnswer> => {
    calls.push({ name, range: range!, sizeAtCall: statSync(p).size });
    inFlight = signal && { signal };
    try {
      await new Promise((r, j) => { const t = setTimeout(r, 20); signal?.addEventListener('abort', () => { clearTimeout(t); j(signal.reason); }); });
    } finally {
      inFlight = undefined;
    }
    return { duration: (range!.end - range!.start) / 32000, language: 'en', words: [{ word: `${name}@${range!.start}`, start: 1, end: 1.5 }] };
  };
  return { calls, call, inFlight: () => inFlight, path };
}

/** Writes `bytes` into the copy in 64 KiB pieces, a few ms apart, as an upload arrives; `until` stops early. */
async function arrive(copy: SpillingCopy, bytes: Buffer, until = bytes.length): Promise<void> {
  for (let i = 0; i < until; i += 65536) {
    if (!copy.write(bytes.subarray(i, Math.min(until, i + 65536)))) await new Promise<void>((r) => copy.onceDrained(r));
    await tick();
  }
}

describe('chunked transcription while the upload still arrives', () => {
  it('sends each chunk once its bytes are on disk, the first before the upload is complete, and answers as transcribeFile does', async () => {
    dir = mkdtempSync(join(tmpdir(), 'live-asr-'));
    const copy = new SpillingCopy(join(dir, 'upload'));
    const rec = recogniser(copy.path);
    const live = new LiveTranscription(copy, o, rec.call, new AbortController().signal);
    await arrive(copy, wav);
    const callsBeforeEnd = rec.calls.length;
    copy.end();
    await copy.done;
    const answer = await live.answer();
    expect(callsBeforeEnd).toBeGreaterThanOrEqual(1);
    expect(rec.calls.map((c) => c.name)).toEqual(['part0.wav', 'part1.wav', 'part2.wav', 'part3.wav']);
    for (const c of rec.calls) expect(c.sizeAtCall).toBeGreaterThanOrEqual(c.range.end);
    // The same words, chunks and merge as the finished file transcribed from disk.
    const fromDisk = await transcribeFile(copy.path, 'upload.wav', o, { call: (p, n, r) => rec.call(p, n, r) });
    expect(answer).toEqual(fromDisk);
    expect(answer!.chunks).toBe(4);
  });

  it('an upload that ends short of what its header promised is not used: nothing runs on, the file goes from disk', async () => {
    dir = mkdtempSync(join(tmpdir(), 'live-asr-'));
    const copy = new SpillingCopy(join(dir, 'upload'));
    const rec = recogniser(copy.path);
    const live = new LiveTranscription(copy, o, rec.call, new AbortController().signal);
    await arrive(copy, wav, Math.floor(wav.length * 0.6));
    copy.end();
    await copy.done;
    expect(await live.answer()).toBeUndefined();
    const n = rec.calls.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(rec.calls.length).toBe(n);
    expect(rec.inFlight()).toBeUndefined();
  });

  it('stop aborts the chunk in flight and resolves once it settled; no chunk is sent after it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'live-asr-'));
    const copy = new SpillingCopy(join(dir, 'upload'));
    const rec = recogniser(copy.path);
    const live = new LiveTranscription(copy, o, rec.call, new AbortController().signal);
    const arriving = arrive(copy, wav);
    for (let i = 0; i < 400 && !rec.inFlight(); i++) await tick();
    const flying = rec.inFlight()!;
    expect(flying).toBeDefined();
    await live.stop();
    expect(flying.signal.aborted).toBe(true);
    expect(rec.inFlight()).toBeUndefined();
    const n = rec.calls.length;
    await arriving;
    copy.end();
    await copy.done;
    await new Promise((r) => setTimeout(r, 40));
    expect(rec.calls.length).toBe(n);
  });

  it('a WAV that does not state its audio size, or is not PCM, is not started early', async () => {
    dir = mkdtempSync(join(tmpdir(), 'live-asr-'));
    for (const [i, bytes] of [Buffer.from(wav).fill(0xff, 9000 + 44 + 4, 9000 + 44 + 8), Buffer.from('ID3\u0003 not a wav at all'.padEnd(9000))].entries()) {
      const copy = new SpillingCopy(join(dir, `upload${i}`));
      const rec = recogniser(copy.path);
      const live = new LiveTranscription(copy, o, rec.call, new AbortController().signal);
      await arrive(copy, bytes);
      copy.end();
      await copy.done;
      expect(await live.answer()).toBeUndefined();
      expect(rec.calls).toEqual([]);
    }
  });
});
