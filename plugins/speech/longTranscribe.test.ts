import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmWav, readChunks, wavDuration } from './sim/wav.js';
import { transcribeFile, type TranscribeDeps } from './src/longTranscribe.js';

let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A 40 s mono WAV (a ramp, so every sample says where it sat) in a fresh spool directory; chunked every 12 s with
 *  2 s overlap that is four chunks. */
function longWav(): string {
  dir = mkdtempSync(join(tmpdir(), 'long-asr-'));
  const path = join(dir, 'upload.wav');
  writeFileSync(path, pcmWav(Int16Array.from({ length: 16000 * 40 }, (_, i) => (i % 30000) - 15000), 16000, 1));
  return path;
}

describe('chunked transcription of a file on disk', () => {
  it('sends each chunk as a WAV of its own straight from the file, sample-exact, and cuts nothing to disk', async () => {
    const path = longWav();
    const file = readFileSync(path);
    const samples = new Int16Array(file.buffer, file.byteOffset + 44, (file.length - 44) / 2);
    const seen: Array<{ path: string; name: string; duration: number; offset: number; firstSampleOk: boolean; spool: string[] }> = [];
    const deps: TranscribeDeps = {
      async call(p, name, range) {
        expect(range).toBeDefined();
        const wav = Buffer.concat([range!.header, file.subarray(range!.start, range!.end)]);
        const c = readChunks(wav);
        const offset = c.get('bext')!.readUInt32LE(338);
        seen.push({ path: p, name, duration: wavDuration(wav), offset, firstSampleOk: c.get('data')!.readInt16LE(0) === samples[offset], spool: readdirSync(dir) });
        return { duration: wavDuration(wav), language: 'en', words: [{ word: name, start: 1, end: 1.5 }] };
      },
    };
    const r = await transcribeFile(path, 'upload.wav', { chunkSec: 12, overlapSec: 2 }, deps);
    expect(r.chunks).toBe(4);
    expect(seen.map((s) => s.name)).toEqual(['part0.wav', 'part1.wav', 'part2.wav', 'part3.wav']);
    expect(seen.map((s) => s.path)).toEqual([path, path, path, path]);
    expect(seen.map((s) => s.duration)).toEqual([12, 12, 12, 10]);
    // Each chunk starts 10 s after the one before, and its first sample is the original's sample there.
    expect(seen.map((s) => s.offset)).toEqual([0, 160000, 320000, 480000]);
    expect(seen.every((s) => s.firstSampleOk)).toBe(true);
    expect(seen.every((s) => s.spool.join() === 'upload.wav')).toBe(true);
    expect(r.words.map((w) => w.word)).toEqual(['part0.wav', 'part1.wav', 'part2.wav', 'part3.wav']);
  });

  it('fails with the recogniser\'s error at the chunk that failed and leaves the spool as it was', async () => {
    const path = longWav();
    let calls = 0;
    const deps: TranscribeDeps = {
      async call() {
        calls++;
        if (calls === 2) throw new Error('parakeet answered 500');
        return { duration: 12, words: [] };
      },
    };
    await expect(transcribeFile(path, 'upload.wav', { chunkSec: 12, overlapSec: 2 }, deps)).rejects.toThrow('parakeet answered 500');
    expect(calls).toBe(2);
    expect(readdirSync(dir)).toEqual(['upload.wav']);
  });
});
