import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, unlink } from 'node:fs/promises';
import { readWavInfo, wavHeader, type WavInfo } from './wavFile.js';

/**
 * Field recorders write 24-bit WAV, DAWs 32-bit float: the slicer (long audio) and the channel splitter (dual-channel
 * calls) work on 16-bit integer PCM, which is also what the speech models take in. A spooled upload in another PCM
 * format is rewritten once as 16-bit, streaming, so every pipeline after it sees one format. 16 bits keep 96 dB of
 * range, far more than speech recognition uses; the lower bits are dropped, not dithered.
 */
export async function ensurePcm16(path: string): Promise<{ converted: false } | { converted: true; from: string }> {
  const wav = await readWavInfo(path, { anyDepth: true });
  if (!wav.ok || (wav.info.encoding === 'int' && wav.info.bitsPerSample === 16)) return { converted: false };
  const tmp = `${path}.pcm16`;
  try {
    await convert(path, wav.info, tmp);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  return { converted: true, from: `${wav.info.bitsPerSample}-bit ${wav.info.encoding === 'float' ? 'float' : 'integer'}` };
}

/** One sample at byte `i` of `b` → a 16-bit integer sample. */
type Reader = (b: Buffer, i: number) => number;

function readerFor(info: WavInfo): Reader {
  if (info.encoding === 'float') {
    const toInt = (f: number) => (Number.isNaN(f) ? 0 : Math.round(Math.max(-1, Math.min(1, f)) * 32767));
    return info.bitsPerSample === 64 ? (b, i) => toInt(b.readDoubleLE(i)) : (b, i) => toInt(b.readFloatLE(i));
  }
  switch (info.bitsPerSample) {
    case 8: return (b, i) => (b[i] - 128) << 8; // 8-bit WAV is unsigned
    case 24: return (b, i) => b.readInt16LE(i + 1); // the upper two bytes of a little-endian 24-bit sample
    case 32: return (b, i) => b.readInt16LE(i + 2);
    default: return (b, i) => b.readInt16LE(i);
  }
}

async function convert(path: string, info: WavInfo, out: string): Promise<void> {
  const bytesIn = info.bitsPerSample / 8;
  const samples = info.dataBytes / bytesIn;
  const read = readerFor(info);
  const ws = createWriteStream(out, { mode: 0o600 });
  const failed = once(ws, 'error').then(([e]) => { throw e; });
  failed.catch(() => {});
  const put = async (b: Buffer) => { if (!ws.write(b)) await Promise.race([once(ws, 'drain'), failed]); };
  try {
    await put(wavHeader(info.rate, info.channels, samples * 2, info.extras));
    if (samples > 0) {
      const rs = createReadStream(path, { start: info.dataOffset, end: info.dataOffset + info.dataBytes - 1, highWaterMark: 1 << 16 });
      let carry: Buffer = Buffer.alloc(0);
      for await (const raw of rs as AsyncIterable<Buffer>) {
        const buf = carry.length ? Buffer.concat([carry, raw]) : raw;
        const n = Math.floor(buf.length / bytesIn);
        const outBuf = Buffer.allocUnsafe(n * 2);
        for (let k = 0; k < n; k++) outBuf.writeInt16LE(read(buf, k * bytesIn), k * 2);
        carry = buf.subarray(n * bytesIn);
        await put(outBuf);
      }
    }
  } finally {
    await finish(ws);
  }
}

async function finish(ws: WriteStream): Promise<void> {
  if (ws.destroyed) return;
  ws.end();
  await once(ws, 'finish');
}
