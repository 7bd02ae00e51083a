import { open } from 'node:fs/promises';
import { SparkError } from '@spark-control/plugin-api';

/** Layout of a RIFF/WAVE file on disk, read with positional reads so a 200 MB upload is never loaded. */
export interface WavInfo {
  rate: number;
  channels: number;
  bitsPerSample: number;
  /** Integer PCM or IEEE float samples (only 16-bit integer unless read with `anyDepth`). */
  encoding: 'int' | 'float';
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
  duration: number;
  /** Metadata chunks before the audio (LIST, cue…), carried into derived files so nothing the sender attached is lost. */
  extras: Array<{ id: string; data: Buffer }>;
}

/** `incomplete`: a file still being written (read with `growing`) does not hold its whole header yet. */
export type WavRead = { ok: true; info: WavInfo } | { ok: false; reason: string; incomplete?: true };

const EXTRA_LIMIT = 1 << 20;
// Streaming writers (sox to a pipe, ffmpeg -f wav -) cannot seek back to fill in sizes and leave one of these.
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

/** Reads the header of a PCM WAV file. Anything we cannot slice sample-exactly (compressed, cut short, and — unless
 *  `anyDepth`, for the converter in pcm16.ts — any sample format but 16-bit integer) comes back as a reason the
 *  caller can show, never as an exception. `growing`: the file is an upload still being written, so its audio is
 *  taken at the size its header states (one that states none cannot be planned yet) and a header not all there yet is
 *  `incomplete`; what it says holds for the finished file only if that file reads the same (liveTranscribe.ts). */
export async function readWavInfo(path: string, o: WavReadOptions = {}): Promise<WavRead> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    return await readWavLayout({ size, read: async (buf, position) => { await fh.read(buf, 0, buf.length, position); } }, o);
  } finally {
    await fh.close();
  }
}

/** Where a WAV's header is read from: a file, or bytes already in memory. `read` fills `buf` from `position`. */
export interface WavSource { size: number; read(buf: Buffer, position: number): Promise<void> }

/** The first bytes of a WAV as a source: an upload's head, read before any of it reaches the disk. */
export function bytesSource(bytes: Buffer): WavSource {
  return { size: bytes.length, read: async (buf, position) => { buf.fill(0); bytes.copy(buf, 0, position, position + buf.length); } };
}

export interface WavReadOptions { anyDepth?: boolean; growing?: boolean }

/** readWavInfo over any source (same rules). */
export async function readWavLayout(src: WavSource, o: WavReadOptions = {}): Promise<WavRead> {
  const incomplete = { ok: false, reason: 'is not all there yet', incomplete: true } as const;
  const size = src.size;
  const head = Buffer.alloc(12);
  await src.read(head, 0);
  if (o.growing && size < 12) return incomplete;
  if (size < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') return { ok: false, reason: 'is not a WAV file (no RIFF/WAVE header)' };
  let p = 12;
  let fmt: Buffer | undefined;
  const extras: WavInfo['extras'] = [];
  let extraBytes = 0;
  const hdr = Buffer.alloc(8);
  while (p + 8 <= size) {
    await src.read(hdr, p);
    const id = hdr.toString('ascii', 0, 4);
    const len = hdr.readUInt32LE(4);
    if (id === 'data') {
      if (!fmt) return { ok: false, reason: 'has audio data before its format chunk' };
      const available = size - (p + 8);
      if (o.growing && UNKNOWN_SIZES.has(len)) return { ok: false, reason: 'does not state its audio size' };
      const dataBytes = UNKNOWN_SIZES.has(len) ? available : len;
      if (dataBytes > available && !o.growing) return { ok: false, reason: `is truncated (header promises ${dataBytes} bytes of audio, ${available} are there)` };
      return describe(fmt, p + 8, dataBytes, extras, !!o.anyDepth);
    }
    if (p + 8 + len > size && o.growing) return incomplete;
    if (p + 8 + len > size) return { ok: false, reason: `is truncated inside its "${id.replace(/[^\x20-\x7e]/g, '?')}" chunk` };
    if (id === 'fmt ') {
      fmt = Buffer.alloc(Math.min(len, 64));
      await src.read(fmt, p + 8);
    } else if (id !== 'fact' && id !== 'bext' && extraBytes + len <= EXTRA_LIMIT) {
      const data = Buffer.alloc(len);
      await src.read(data, p + 8);
      extras.push({ id, data });
      extraBytes += len;
    }
    p += 8 + len + (len % 2);
  }
  return o.growing ? incomplete : { ok: false, reason: 'has no audio data chunk' };
}

/** Sample formats the converter turns into 16-bit integer PCM. */
const CONVERTIBLE: Record<WavInfo['encoding'], number[]> = { int: [8, 16, 24, 32], float: [32, 64] };

function describe(fmt: Buffer, dataOffset: number, dataBytes: number, extras: WavInfo['extras'], anyDepth: boolean): WavRead {
  if (fmt.length < 16) return { ok: false, reason: 'has a malformed format chunk' };
  const tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const rate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bitsPerSample = fmt.readUInt16LE(14);
  // WAVE_FORMAT_EXTENSIBLE names the real encoding in the first two bytes of its sub-format GUID.
  const real = tag === 0xfffe && fmt.length >= 26 ? fmt.readUInt16LE(24) : tag;
  const encoding = real === 1 ? 'int' : real === 3 ? 'float' : undefined;
  if (!encoding) return { ok: false, reason: `is not PCM (format tag 0x${tag.toString(16)}); send a PCM WAV` };
  const supported = anyDepth ? CONVERTIBLE[encoding].includes(bitsPerSample) : encoding === 'int' && bitsPerSample === 16;
  if (!supported) return { ok: false, reason: `has ${bitsPerSample}-bit ${encoding === 'float' ? 'float ' : ''}samples; send 16-bit PCM WAV` };
  if (channels < 1 || channels > 8 || blockAlign !== channels * (bitsPerSample / 8) || rate < 1000 || rate > 384_000) return { ok: false, reason: 'has an inconsistent format chunk' };
  const usable = dataBytes - (dataBytes % blockAlign);
  return { ok: true, info: { rate, channels, bitsPerSample, encoding, blockAlign, dataOffset, dataBytes: usable, duration: usable / blockAlign / rate, extras } };
}

/** Header for a 16-bit PCM file; `extras` are written before the audio, each padded to an even length. */
export function wavHeader(rate: number, channels: number, dataBytes: number, extras: WavInfo['extras'] = []): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0); fmt.writeUInt32LE(16, 4); fmt.writeUInt16LE(1, 8); fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12); fmt.writeUInt32LE(rate * channels * 2, 16); fmt.writeUInt16LE(channels * 2, 20); fmt.writeUInt16LE(16, 22);
  const parts: Buffer[] = [fmt];
  for (const e of extras) {
    const h = Buffer.alloc(8); h.write(e.id, 0, 'ascii'); h.writeUInt32LE(e.data.length, 4);
    parts.push(h, e.data, Buffer.alloc(e.data.length % 2));
  }
  const dh = Buffer.alloc(8); dh.write('data', 0); dh.writeUInt32LE(dataBytes, 4);
  parts.push(dh);
  const body = Buffer.concat(parts);
  const riff = Buffer.alloc(12); riff.write('RIFF', 0); riff.writeUInt32LE(body.length + 4 + dataBytes + (dataBytes % 2), 4); riff.write('WAVE', 8);
  return Buffer.concat([riff, body]);
}

/** What the first bytes of a WAV upload say (before it is on disk): channels, rate, bytes per frame, and the audio
 *  size when the header states it (streaming writers leave it unknown). undefined when the head is not a WAV or its
 *  format chunk is not among those bytes. */
export interface WavHead { channels: number; rate: number; blockAlign: number; bitsPerSample?: number; dataBytes?: number }

export function wavHeadFormat(head: Buffer): WavHead | undefined {
  if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let fmt: Omit<WavHead, 'dataBytes'> | undefined;
  let p = 12;
  while (p + 8 <= head.length) {
    const id = head.toString('ascii', p, p + 4);
    const len = head.readUInt32LE(p + 4);
    if (id === 'fmt ') {
      if (p + 22 > head.length) return undefined;
      fmt = { channels: head.readUInt16LE(p + 10), rate: head.readUInt32LE(p + 12), blockAlign: head.readUInt16LE(p + 20), ...(p + 24 <= head.length ? { bitsPerSample: head.readUInt16LE(p + 22) } : {}) };
    }
    if (id === 'data') return fmt && { ...fmt, ...(UNKNOWN_SIZES.has(len) ? {} : { dataBytes: len }) };
    p += 8 + len + (len % 2);
  }
  return fmt;
}

/** Seconds of audio an upload holds: from the header's data size, else from the upload's size (an upper bound). */
export function wavHeadSeconds(h: WavHead, uploadBytes: number): number | undefined {
  const bytes = h.dataBytes ?? (uploadBytes > 0 ? uploadBytes : undefined);
  return bytes !== undefined && h.blockAlign > 0 && h.rate > 0 ? bytes / h.blockAlign / h.rate : undefined;
}

/** A format chunk with a zero where no audio can have one: 400 naming the header field (the upstream failed on it
 *  with a 502 that did not say why). */
export function checkWavHead(h: WavHead): void {
  const zero = h.channels === 0 ? 'channels' : h.rate === 0 ? 'sampleRate' : h.blockAlign === 0 ? 'blockAlign' : h.bitsPerSample === 0 ? 'bitsPerSample' : undefined;
  if (!zero) return;
  throw new SparkError('SPEECH_BAD_WAV_HEADER', `the WAV header's ${zero} is 0`, { status: 400, details: { errors: [{ field: 'file', message: `WAV header field ${zero} is 0` }] } });
}
