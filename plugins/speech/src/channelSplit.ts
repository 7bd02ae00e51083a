import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
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
      const left = Buffer.allocUnsafe(whole / 2), right = Buffer.allocUnsafe(whole / 2);
      for (let i = 0, j = 0; i < whole; i += 4, j += 2, frame++) {
        const l = buf.readInt16LE(i), r = buf.readInt16LE(i + 2);
        left.writeInt16LE(l, j); right.writeInt16LE(r, j);
        const f = (frame / spf) | 0;
        sl[f] += l * l; sr[f] += r * r;
      }
      carry = buf.subarray(whole);
      await Promise.race([Promise.all([put(ws[0], left), put(ws[1], right)]), failed]);
    }
    return env;
  } finally {
    await Promise.all(ws.map((w) => finish(w).catch(() => {})));
  }
}
