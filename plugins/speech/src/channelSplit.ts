import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { endianness } from 'node:os';
import { createEnvelope, type EnergyEnvelope } from './energy.js';
import { wavHeader, type WavInfo } from './wavFile.js';

async function put(ws: WriteStream, b: Buffer): Promise<void> {
  if (!ws.write(b)) await once(ws, 'drain');
}

async function finish(ws: WriteStream): Promise<void> {
  ws.end();
  await once(ws, 'finish');
}

/** Splits a 16-bit PCM stereo WAV into two mono files in one streaming pass and measures each channel's loudness on
 *  the way. The GPU service downmixes stereo, so dual-channel transcription must hand it each channel on its own. */
export async function splitStereo(path: string, info: WavInfo, out: [string, string]): Promise<EnergyEnvelope> {
  if (info.channels !== 2 || info.bitsPerSample !== 16) throw new Error('splitStereo needs 16-bit stereo');
  if (endianness() !== 'LE') throw new Error('splitStereo assumes a little-endian host');
  const frames = info.dataBytes / 4;
  const env = createEnvelope(info.rate, 2, frames);
  const [sl, sr] = env.sumsq;
  const spf = env.samplesPerFrame;
  const ws = out.map((p) => createWriteStream(p, { mode: 0o600 })) as [WriteStream, WriteStream];
  const failed = Promise.race(ws.map((w) => once(w, 'error').then(([e]) => { throw e; })));
  failed.catch(() => {});
  try {
    const header = wavHeader(info.rate, 1, frames * 2, info.extras);
    await Promise.race([Promise.all(ws.map((w) => put(w, header))), failed]);
    if (frames === 0) return env;
    const rs = createReadStream(path, { start: info.dataOffset, end: info.dataOffset + info.dataBytes - 1, highWaterMark: 1 << 16 });
    let carry: Buffer = Buffer.alloc(0);
    let frame = 0;
    for await (const raw of rs as AsyncIterable<Buffer>) {
      const buf = carry.length ? Buffer.concat([carry, raw]) : raw;
      const whole = buf.length - (buf.length % 4);
      // Typed-array views need aligned memory, so the block is copied once; WAV is little-endian like every host
      // this runs on (x86-64, ARM64).
      const src = new Int16Array(whole / 2);
      Buffer.from(src.buffer).set(buf.subarray(0, whole));
      const left = new Int16Array(whole / 4), right = new Int16Array(whole / 4);
      for (let i = 0, j = 0; j < left.length; i += 2, j++, frame++) {
        const l = src[i], r = src[i + 1];
        left[j] = l; right[j] = r;
        const f = (frame / spf) | 0;
        sl[f] += l * l; sr[f] += r * r;
      }
      carry = buf.subarray(whole);
      await Promise.race([Promise.all([put(ws[0], Buffer.from(left.buffer)), put(ws[1], Buffer.from(right.buffer))]), failed]);
    }
    return env;
  } finally {
    await Promise.all(ws.map((w) => finish(w).catch(() => {})));
  }
}
