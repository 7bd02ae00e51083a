import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pcmWav, readChunks } from './sim/wav.js';
import { splitStereo } from './src/channelSplit.js';
import { spanDb } from './src/energy.js';
import { bytesSource, readWavInfo, readWavLayout } from './src/wavFile.js';
import { sliceWav } from './src/wavSlice.js';

const dir = mkdtempSync(join(tmpdir(), 'speech-wav-'));
const file = (name: string, data: Buffer) => { const p = join(dir, name); writeFileSync(p, data); return p; };

/** Left: a 1 kHz-ish square at ±8000 during [0.5, 1.0) s; right: ±800 everywhere (20 dB quieter). */
function stereo(seconds = 2, rate = 16000) {
  const pcm = new Int16Array(seconds * rate * 2);
  for (let i = 0; i < seconds * rate; i++) {
    const t = i / rate;
    pcm[2 * i] = t >= 0.5 && t < 1 ? (i % 16 < 8 ? 8000 : -8000) : 0;
    pcm[2 * i + 1] = i % 16 < 8 ? 800 : -800;
  }
  return pcmWav(pcm, rate, 2, { id: 'sctx', data: Buffer.from('[{"word":"x"}]') });
}

describe('WAV header reading', () => {
  it('describes PCM files and explains, without throwing, what it cannot slice', async () => {
    const ok = await readWavInfo(file('s.wav', stereo()));
    expect(ok).toMatchObject({ ok: true, info: { rate: 16000, channels: 2, duration: 2 } });
    expect((await readWavInfo(file('mp3.wav', Buffer.from('ID3\x03\x00 not a wav at all')))) ).toMatchObject({ ok: false, reason: expect.stringContaining('not a WAV') });
    const cut = stereo().subarray(0, 5000);
    expect(await readWavInfo(file('cut.wav', cut))).toMatchObject({ ok: false, reason: expect.stringContaining('truncated') });
    const float = stereo(); float.writeUInt16LE(3, 20);
    expect(await readWavInfo(file('float.wav', float))).toMatchObject({ ok: false, reason: expect.stringContaining('16-bit float samples') });
    const b24 = stereo(); b24.writeUInt16LE(24, 34);
    expect(await readWavInfo(file('24.wav', b24))).toMatchObject({ ok: false, reason: expect.stringContaining('24-bit') });
    expect(await readWavInfo(file('empty.wav', Buffer.alloc(0)))).toMatchObject({ ok: false });
    // A streaming writer's "size unknown" marker means "to the end of the file".
    const streamed = stereo(); const dataAt = streamed.indexOf('data'); streamed.writeUInt32LE(0xffffffff, dataAt + 4);
    expect(await readWavInfo(file('streamed.wav', streamed))).toMatchObject({ ok: true, info: { duration: 2 } });
  });

  it('reads the same layout from an upload\'s first bytes in memory as from its file, and says when they are too few', async () => {
    const meta = { id: 'LIST', data: Buffer.alloc(6000, 0x61) };
    const wav = pcmWav(new Int16Array(16000 * 30), 16000, 1, meta);
    const fromFile = await readWavInfo(file('long.wav', wav), { growing: true });
    expect(await readWavLayout(bytesSource(wav.subarray(0, 16 * 1024)), { growing: true })).toEqual(fromFile);
    expect(fromFile).toMatchObject({ ok: true, info: { duration: 30, extras: [{ id: 'LIST' }] } });
    // A head that ends inside the metadata chunk cannot be planned from: the caller reads the growing file instead.
    expect(await readWavLayout(bytesSource(wav.subarray(0, 4096)), { growing: true })).toMatchObject({ ok: false, incomplete: true });
    expect(await readWavLayout(bytesSource(Buffer.from('ID3\x03 not a wav')), { growing: true })).toMatchObject({ ok: false, reason: expect.stringContaining('not a WAV') });
  });
});

describe('channel splitter', () => {
  it('writes each channel as its own mono WAV, keeps metadata chunks, and measures loudness per word span', async () => {
    const src = file('call.wav', stereo());
    const r = await readWavInfo(src);
    if (!r.ok) throw new Error(r.reason);
    const out: [string, string] = [join(dir, 'l.wav'), join(dir, 'r.wav')];
    const env = await splitStereo(src, r.info, out);
    const left = readFileSync(out[0]), right = readFileSync(out[1]);
    const li = await readWavInfo(out[0]);
    expect(li).toMatchObject({ ok: true, info: { channels: 1, rate: 16000, duration: 2 } });
    expect(readChunks(left).get('sctx')!.toString()).toBe('[{"word":"x"}]');
    const ld = readChunks(left).get('data')!, rd = readChunks(right).get('data')!;
    expect(ld.readInt16LE(2 * 8000)).toBe(8000); // sample 8000 = 0.5 s
    expect(ld.readInt16LE(0)).toBe(0);
    expect(rd.readInt16LE(0)).toBe(800);
    // Square waves: RMS = amplitude. 8000 → -12.3 dBFS, 800 → -32.3 dBFS.
    expect(spanDb(env, 0, 0.6, 0.9)).toBeCloseTo(20 * Math.log10(8000 / 32768), 1);
    expect(spanDb(env, 1, 0.6, 0.9)).toBeCloseTo(20 * Math.log10(800 / 32768), 1);
    expect(spanDb(env, 0, 1.2, 1.5)).toBe(-120);
    expect(spanDb(env, 0, 0.7, 0.7)).toBeGreaterThan(-13); // zero-length span widened, not silent
  });
});

describe('WAV slicer', () => {
  it('copies a sample-exact range and records where it came from (bext TimeReference)', async () => {
    const src = file('call2.wav', stereo());
    const r = await readWavInfo(src);
    if (!r.ok) throw new Error(r.reason);
    const out = join(dir, 'slice.wav');
    await sliceWav(src, r.info, 0.5, 1.25, out);
    const s = await readWavInfo(out);
    expect(s).toMatchObject({ ok: true, info: { channels: 2, duration: 0.75 } });
    const chunks = readChunks(readFileSync(out));
    expect(chunks.get('bext')!.readUInt32LE(338)).toBe(8000);
    expect(chunks.get('data')!.readInt16LE(0)).toBe(8000);
    expect(chunks.get('sctx')).toBeTruthy();
  });
});
