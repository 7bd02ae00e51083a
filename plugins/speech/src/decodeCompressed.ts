import { createReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { SparkError } from '@spark-control/plugin-api';
import { ensurePcm16 } from './pcm16.js';
import { wavHeader } from './wavFile.js';

/** Compressed formats Spark Control decodes itself (WebAssembly decoders, MIT, no ffmpeg needed on the box). AAC/M4A
 *  is not among them (the streaming AAC decoders on npm are GPL): such uploads still go to the speech service whole. */
export type CompressedFormat = 'mp3' | 'flac' | 'opus' | 'vorbis';

/** What the first bytes of an upload are, when it is a format we decode. */
export function compressedFormat(head: Buffer): CompressedFormat | undefined {
  if (head.length < 4) return undefined;
  if (head.toString('latin1', 0, 4) === 'fLaC') return 'flac';
  // Ogg: the first page carries the codec's identification header.
  if (head.toString('latin1', 0, 4) === 'OggS') {
    const first = head.subarray(0, 80);
    return first.includes('OpusHead') ? 'opus' : first.includes('\u0001vorbis', 0, 'latin1') ? 'vorbis' : undefined;
  }
  if (head.toString('latin1', 0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, then a layer that is not "reserved".
  if (head[0] === 0xff && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) !== 0) return 'mp3';
  return undefined;
}

/** Whether an MP3's first frame is single-channel (mpg123 always decodes to two channels, a mono file as two copies;
 *  written as such it would pass for a stereo call). Reads past an ID3v2 tag to the first frame header. */
export function mp3IsMono(head: Buffer): boolean {
  let i = 0;
  if (head.toString('latin1', 0, 3) === 'ID3' && head.length >= 10) {
    i = 10 + ((head[6] & 0x7f) << 21 | (head[7] & 0x7f) << 14 | (head[8] & 0x7f) << 7 | (head[9] & 0x7f)) + (head[5] & 0x10 ? 10 : 0);
  }
  for (; i + 3 < head.length; i++) {
    if (head[i] === 0xff && (head[i + 1] & 0xe0) === 0xe0 && (head[i + 1] & 0x06) !== 0 && (head[i + 2] & 0xf0) !== 0xf0) return (head[i + 3] >> 6) === 3;
  }
  return false;
}

interface Decoded { channelData: Float32Array[]; samplesDecoded: number; sampleRate: number }
interface Decoder { ready: Promise<void>; decode(data: Uint8Array): Decoded | Promise<Decoded>; flush?(): Decoded | Promise<Decoded>; free(): void }

async function decoderFor(format: CompressedFormat): Promise<Decoder> {
  // Loaded on first use: each carries its WebAssembly and costs memory only when such a file arrives.
  if (format === 'mp3') return new (await import('mpg123-decoder')).MPEGDecoder() as unknown as Decoder;
  if (format === 'flac') return new (await import('@wasm-audio-decoders/flac')).FLACDecoder() as unknown as Decoder;
  if (format === 'vorbis') return new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder() as unknown as Decoder;
  return new (await import('ogg-opus-decoder')).OggOpusDecoder() as unknown as Decoder;
}

/** The first `n` bytes of a file (fewer when it is shorter). */
async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(n);
    const { bytesRead } = await fh.read(head, 0, n, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Longest decoded audio accepted: a WAV's sizes are 32-bit, and hours beyond this are not a recording to transcribe. */
const MAX_DECODED_BYTES = 3.5 * 2 ** 30;

/**
 * Rewrites a spooled MP3, FLAC, Ogg Opus or Ogg Vorbis upload in place as 16-bit PCM WAV (its own sample rate and channels), so
 * long recordings can be cut into chunks and stereo calls split by channel like any WAV. Streams: one read buffer and
 * its decoded samples in memory at a time. An undecodable file is a 400 naming `file`; nothing else is touched.
 */
export async function decodeCompressed(path: string, format: CompressedFormat): Promise<{ seconds: number; rate: number; channels: number }> {
  const tmp = `${path}.decoded`;
  const monoMp3 = format === 'mp3' && mp3IsMono(await readHead(path, 64 * 1024));
  const decoder = await decoderFor(format);
  let rate = 0;
  let channels = 0;
  let frames = 0;
  let written = 0;
  const header = () => wavHeader(rate || 16000, channels || 1, written);
  let out: Awaited<ReturnType<typeof open>> | undefined;
  try {
    out = await open(tmp, 'w', 0o600);
    await decoder.ready;
    await out.write(header()); // placeholder sizes, rewritten at the end
    const put = async (d: Decoded) => {
      if (!d.samplesDecoded) return;
      if (monoMp3) d = { ...d, channelData: d.channelData.slice(0, 1) };
      if (!rate) { rate = d.sampleRate; channels = d.channelData.length; }
      if (d.sampleRate !== rate || d.channelData.length !== channels) {
        throw new SparkError('SPEECH_UNDECODABLE', `the ${format} file changes its sample rate or channel count midway; convert it to WAV first`, { status: 400, details: { errors: [{ field: 'file', message: 'sample rate or channels change midway' }] } });
      }
      const pcm = Buffer.allocUnsafe(d.samplesDecoded * channels * 2);
      for (let i = 0, o = 0; i < d.samplesDecoded; i++) {
        for (let c = 0; c < channels; c++, o += 2) {
          const v = d.channelData[c][i];
          pcm.writeInt16LE(Number.isNaN(v) ? 0 : Math.round(Math.max(-1, Math.min(1, v)) * 32767), o);
        }
      }
      written += pcm.length;
      if (written > MAX_DECODED_BYTES) throw new SparkError('SPEECH_TOO_LONG', 'the recording is too long once decoded (over 3.5 GB of audio); split it first', { status: 413, details: { errors: [{ field: 'file', message: 'too long once decoded' }] } });
      frames += d.samplesDecoded;
      await out!.write(pcm);
    };
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) await put(await decoder.decode(chunk as Buffer));
    if (decoder.flush) await put(await decoder.flush());
    if (!frames) throw new SparkError('SPEECH_UNDECODABLE', `the file looks like ${format} but holds no audio that decodes`, { status: 400, details: { errors: [{ field: 'file', message: `not decodable as ${format}` }] } });
    await out.write(header(), 0, undefined, 0);
    await out.close();
    await rename(tmp, path);
    return { seconds: frames / rate, rate, channels };
  } catch (e) {
    await out?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  } finally {
    decoder.free();
  }
}

/** One audio format for every pipeline after the spool (slicing, channel split, the models): 16-bit PCM WAV, decoded
 *  first when the upload was MP3, FLAC, Opus or Vorbis. Anything else is left as it came. */
export async function toPcm16Wav(path: string): Promise<{ decodedFrom?: CompressedFormat; seconds?: number }> {
  const format = compressedFormat(await readHead(path, 128));
  if (format) {
    const d = await decodeCompressed(path, format);
    return { decodedFrom: format, seconds: d.seconds };
  }
  await ensurePcm16(path);
  return {};
}
