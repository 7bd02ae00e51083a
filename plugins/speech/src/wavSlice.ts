import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { wavHeader, type WavInfo } from './wavFile.js';

/** Broadcast-WAV `bext` chunk whose TimeReference says where the slice's first sample sat in the original, so a
 *  slice stays self-describing for any tool (or simulator) that looks at it; the GPU service ignores it. */
function bext(startSample: number): Buffer {
  const b = Buffer.alloc(602);
  b.write('spark-control chunk', 0, 'ascii');
  b.writeUInt32LE(startSample % 0x1_0000_0000, 338);
  b.writeUInt32LE(Math.floor(startSample / 0x1_0000_0000), 342);
  b.writeUInt16LE(1, 346);
  return b;
}

/** [startSec, endSec) of a PCM WAV as a file of its own would hold it: the header to write, then the byte range
 *  [start, end) of the original's sample data (sample-exact). */
export interface WavRange { header: Buffer; start: number; end: number }

export function wavRange(info: WavInfo, startSec: number, endSec: number): WavRange {
  const total = info.dataBytes / info.blockAlign;
  const a = Math.max(0, Math.min(total, Math.round(startSec * info.rate)));
  const b = Math.max(a, Math.min(total, Math.round(endSec * info.rate)));
  const bytes = (b - a) * info.blockAlign;
  return { header: wavHeader(info.rate, info.channels, bytes, [...info.extras, { id: 'bext', data: bext(a) }]), start: info.dataOffset + a * info.blockAlign, end: info.dataOffset + b * info.blockAlign };
}

/** Copies [startSec, endSec) of a PCM WAV into its own file, sample-exact, streaming. */
export async function sliceWav(path: string, info: WavInfo, startSec: number, endSec: number, out: string): Promise<void> {
  const r = wavRange(info, startSec, endSec);
  const ws = createWriteStream(out, { mode: 0o600 });
  ws.write(r.header);
  if (r.end === r.start) { ws.end(); await once(ws, 'finish'); return; }
  await pipeline(createReadStream(path, { start: r.start, end: r.end - 1 }), ws);
}
