import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pcmWav, wavInFormat, type SampleFormat as Kind } from './sim/wav.js';
import { ensurePcm16 } from './src/pcm16.js';
import { readWavInfo } from './src/wavFile.js';

const dir = mkdtempSync(join(tmpdir(), 'pcm16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Int16 samples of a 16-bit PCM WAV file. */
async function samplesOf(path: string): Promise<Int16Array> {
  const w = await readWavInfo(path);
  if (!w.ok) throw new Error(w.reason);
  const b = readFileSync(path).subarray(w.info.dataOffset, w.info.dataOffset + w.info.dataBytes);
  return new Int16Array(Array.from({ length: b.length / 2 }, (_, k) => b.readInt16LE(k * 2)));
}

describe('ensurePcm16: one sample format for slicing and splitting', () => {
  // Full scale both ways, zero, and a ramp; multiples of 256 so the 8-bit round trip is exact too.
  const samples = new Int16Array([0, 256, -256, 32512, -32768, 12800, -12800, 0, ...Array.from({ length: 200 }, (_, k) => ((k * 97) % 256 - 128) * 256)]);

  it.each([
    ['int24', false], ['int32', false], ['float32', false], ['float64', false], ['int8', false], ['int24', true], ['float32', true],
  ] as Array<[Kind, boolean]>)('rewrites %s (extensible: %s) as 16-bit PCM with the same samples', async (kind, extensible) => {
    const path = join(dir, `${kind}-${extensible}.wav`);
    writeFileSync(path, wavInFormat(samples, 16000, 2, kind, extensible));
    expect((await readWavInfo(path)).ok).toBe(false); // the slicer could not take it as it came
    const r = await ensurePcm16(path);
    expect(r).toMatchObject({ converted: true });
    const w = await readWavInfo(path);
    expect(w.ok && w.info).toMatchObject({ channels: 2, rate: 16000, bitsPerSample: 16, encoding: 'int' });
    const expected = kind === 'float32' || kind === 'float64' ? samples.map((s) => (s === -32768 ? -32767 : s)) : samples; // float full scale is ±32767
    expect(Array.from(await samplesOf(path))).toEqual(Array.from(expected));
  });

  it('leaves a 16-bit file, a non-WAV file and a compressed WAV untouched', async () => {
    const pcm = join(dir, 'pcm.wav');
    const bytes = pcmWav(samples, 16000, 1);
    writeFileSync(pcm, bytes);
    expect(await ensurePcm16(pcm)).toEqual({ converted: false });
    expect(readFileSync(pcm).equals(bytes)).toBe(true);
    const mp3 = join(dir, 'a.mp3');
    writeFileSync(mp3, Buffer.from('ID3\u0004 not a wav'));
    expect(await ensurePcm16(mp3)).toEqual({ converted: false });
    const adpcm = join(dir, 'adpcm.wav');
    const a = pcmWav(samples, 16000, 1);
    a.writeUInt16LE(2, 20); // format tag 2 = MS ADPCM
    writeFileSync(adpcm, a);
    expect(await ensurePcm16(adpcm)).toEqual({ converted: false });
    expect(statSync(adpcm).size).toBe(a.length);
  });
});
