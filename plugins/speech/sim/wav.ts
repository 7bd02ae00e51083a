/** Minimal RIFF/WAV helpers for the speech simulator and its fixtures. A custom `sctx` chunk carries the truth the
 *  fake ASR/diarizer "recognises" (words with times and speakers), since no model runs here. */
export interface TruthWord { word: string; start: number; end: number; speaker: string; channel?: number }

export function pcmWav(samples: Int16Array, rate = 16000, channels = 1, extra?: { id: string; data: Buffer }): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0); fmt.writeUInt32LE(16, 4); fmt.writeUInt16LE(1, 8); fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12); fmt.writeUInt32LE(rate * channels * 2, 16); fmt.writeUInt16LE(channels * 2, 20); fmt.writeUInt16LE(16, 22);
  const chunks: Buffer[] = [fmt];
  if (extra) {
    const pad = extra.data.length % 2;
    const h = Buffer.alloc(8); h.write(extra.id, 0); h.writeUInt32LE(extra.data.length, 4);
    chunks.push(h, extra.data, Buffer.alloc(pad));
  }
  const dh = Buffer.alloc(8); dh.write('data', 0); dh.writeUInt32LE(data.length, 4);
  chunks.push(dh, data);
  const body = Buffer.concat(chunks);
  const riff = Buffer.alloc(12); riff.write('RIFF', 0); riff.writeUInt32LE(body.length + 4, 4); riff.write('WAVE', 8);
  return Buffer.concat([riff, body]);
}

/** Adds (or replaces) a chunk in an existing WAV file. */
export function withChunk(wav: Buffer, id: string, data: Buffer): Buffer {
  const c = readChunks(wav);
  const fmt = c.get('fmt ')!;
  const pcm = c.get('data')!;
  const rate = fmt.readUInt32LE(4), channels = fmt.readUInt16LE(2);
  return pcmWav(new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length)), rate, channels, { id, data });
}

export function readChunks(wav: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') return out;
  let p = 12;
  while (p + 8 <= wav.length) {
    const id = wav.toString('ascii', p, p + 4);
    const len = wav.readUInt32LE(p + 4);
    out.set(id, wav.subarray(p + 8, Math.min(wav.length, p + 8 + len)));
    p += 8 + len + (len % 2);
  }
  return out;
}

/** Duration from the header; `totalBytes` (the whole file's size) when only the head of a large file was kept. */
export function wavDuration(wav: Buffer, totalBytes = wav.length): number {
  const c = readChunks(wav);
  const fmt = c.get('fmt '), data = c.get('data');
  if (!fmt || !data) return 0;
  const dataStart = data.byteOffset - wav.byteOffset;
  return Math.max(0, totalBytes - dataStart) / fmt.readUInt32LE(8);
}

export function truthOf(wav: Buffer): TruthWord[] {
  const t = readChunks(wav).get('sctx');
  if (!t) return [];
  try { return JSON.parse(t.toString('utf8')); } catch { return []; }
}

export type SampleFormat = 'int8' | 'int24' | 'int32' | 'float32' | 'float64';
const BITS: Record<SampleFormat, number> = { int8: 8, int24: 24, int32: 32, float32: 32, float64: 64 };

/** The same samples written in another sample format (as a recorder or DAW would), optionally as WAVE_FORMAT_EXTENSIBLE. */
export function wavInFormat(samples: Int16Array, rate: number, channels: number, kind: SampleFormat, extensible = false, extras: Array<{ id: string; data: Buffer }> = []): Buffer {
  const bytes = BITS[kind] / 8;
  const data = Buffer.alloc(samples.length * bytes);
  samples.forEach((s, k) => {
    const i = k * bytes;
    if (kind === 'int8') data[i] = (s >> 8) + 128;
    else if (kind === 'int24') data.writeIntLE(s * 256, i, 3);
    else if (kind === 'int32') data.writeInt32LE(s * 65536, i);
    else if (kind === 'float32') data.writeFloatLE(s / 32767, i);
    else data.writeDoubleLE(s / 32767, i);
  });
  const fmt = Buffer.alloc(extensible ? 48 : 24);
  fmt.write('fmt ', 0); fmt.writeUInt32LE(extensible ? 40 : 16, 4);
  const tag = kind.startsWith('float') ? 3 : 1;
  fmt.writeUInt16LE(extensible ? 0xfffe : tag, 8); fmt.writeUInt16LE(channels, 10); fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * channels * bytes, 16); fmt.writeUInt16LE(channels * bytes, 20); fmt.writeUInt16LE(BITS[kind], 22);
  if (extensible) { fmt.writeUInt16LE(22, 24); fmt.writeUInt16LE(BITS[kind], 26); fmt.writeUInt16LE(tag, 32); }
  const dh = Buffer.alloc(8); dh.write('data', 0); dh.writeUInt32LE(data.length, 4);
  const extra = extras.map((e) => { const h = Buffer.alloc(8); h.write(e.id, 0); h.writeUInt32LE(e.data.length, 4); return Buffer.concat([h, e.data, Buffer.alloc(e.data.length % 2)]); });
  const body = Buffer.concat([fmt, ...extra, dh]);
  const riff = Buffer.alloc(12); riff.write('RIFF', 0); riff.writeUInt32LE(4 + body.length + data.length, 4); riff.write('WAVE', 8);
  return Buffer.concat([riff, body, data]);
}
