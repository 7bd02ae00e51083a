import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pcmWav } from './sim/wav.js';
import { transcribeFile, type TranscribeDeps } from './src/longTranscribe.js';
import { readWavInfo } from './src/wavFile.js';

let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A 40 s mono WAV in a fresh spool directory; chunked every 12 s with 2 s overlap that is four chunks. */
function longWav(): string {
  dir = mkdtempSync(join(tmpdir(), 'long-asr-'));
  const path = join(dir, 'upload.wav');
  writeFileSync(path, pcmWav(new Int16Array(16000 * 40), 16000, 1));
  return path;
}
const tmpPath = (tag: string) => join(dir, `${tag}-${Math.random().toString(36).slice(2)}.wav`);

describe('chunked transcription of a file on disk', () => {
  it('cuts the next chunk while the recogniser has the current one, and sends each one whole', async () => {
    const path = longWav();
    const seen: Array<{ name: string; duration: number; nextOnDisk: boolean }> = [];
    const deps: TranscribeDeps = {
      tmpPath,
      async call(part, name) {
        const wav = await readWavInfo(part);
        // Let the cut ahead finish, then look for it beside the chunk being transcribed.
        await new Promise((r) => setTimeout(r, 50));
        const others = readdirSync(dir).filter((f) => f.startsWith('asr') && join(dir, f) !== part);
        seen.push({ name, duration: wav.ok ? wav.info.duration : -1, nextOnDisk: others.length === 1 });
        return { duration: wav.ok ? wav.info.duration : 0, language: 'en', words: [{ word: name, start: 1, end: 1.5 }] };
      },
    };
    const r = await transcribeFile(path, 'upload.wav', { chunkSec: 12, overlapSec: 2 }, deps);
    expect(r.chunks).toBe(4);
    expect(seen.map((s) => s.name)).toEqual(['part0.wav', 'part1.wav', 'part2.wav', 'part3.wav']);
    expect(seen.map((s) => s.duration)).toEqual([12, 12, 12, 10]);
    // The next chunk is on disk while each one but the last is transcribed.
    expect(seen.map((s) => s.nextOnDisk)).toEqual([true, true, true, false]);
    expect(r.words.map((w) => w.word)).toEqual(['part0.wav', 'part1.wav', 'part2.wav', 'part3.wav']);
    expect(readdirSync(dir)).toEqual(['upload.wav']);
  });

  it('fails with the recogniser\'s error and leaves neither the failed chunk nor the one cut ahead in the spool', async () => {
    const path = longWav();
    let calls = 0;
    const deps: TranscribeDeps = {
      tmpPath,
      async call(part) {
        calls++;
        expect(existsSync(part)).toBe(true);
        if (calls === 2) throw new Error('parakeet answered 500');
        return { duration: 12, words: [] };
      },
    };
    await expect(transcribeFile(path, 'upload.wav', { chunkSec: 12, overlapSec: 2 }, deps)).rejects.toThrow('parakeet answered 500');
    expect(calls).toBe(2);
    expect(readdirSync(dir)).toEqual(['upload.wav']);
  });
});
