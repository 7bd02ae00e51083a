import { mergeChunkWords } from './chunkWords.js';
import { normaliseWords, type Word } from './merge.js';
import { planChunks } from './stitch.js';
import type { AsrAnswer } from './upstreamSchemas.js';
import { readWavInfo, type WavInfo } from './wavFile.js';
import { wavRange, type WavRange } from './wavSlice.js';

export interface TranscribeDeps {
  /** One serialised, time-limited call to the recogniser with a file from disk, or (`range`) a part of one. */
  call(path: string, filename: string, range?: WavRange): Promise<AsrAnswer>;
}

export interface ChunkOptions { chunkSec: number; overlapSec: number }

/** Whole-file ASR when the audio fits, overlapping chunks when a WAV is longer than `chunkSec`: parakeet runs out of
 *  attention memory past about 24 min (the ONNX exports past about 400 s). Each chunk is sent as a WAV of its own
 *  straight from the file (its header, then its byte range), never cut to disk: cutting each chunk first left the GPU
 *  idle while the disk copied it, 10–23 ms before the first chunk alone. Chunked words come back whole (pieces
 *  joined), shifted to file time, overlaps resolved (chunkWords.ts). Files that cannot be sliced go whole. */
export async function transcribeFile(path: string, filename: string, o: ChunkOptions, deps: TranscribeDeps): Promise<AsrAnswer & { chunks: number }> {
  const wav = await readWavInfo(path);
  if (!wav.ok || !isChunked(wav.info, o)) return { ...(await deps.call(path, filename)), chunks: 1 };
  return transcribeChunks(path, wav.info, o, deps);
}

/** Whether `transcribeFile` sends a WAV of this layout in chunks (else whole). */
export const isChunked = (info: WavInfo, o: ChunkOptions): boolean => info.duration > o.chunkSec;

/** The chunked half of `transcribeFile`, for a file whose layout is known. `ready(end)` resolves once the file holds
 *  its first `end` bytes: an upload still arriving sends each chunk as soon as its bytes are in (liveTranscribe.ts),
 *  the words and their merge the same as from the finished file. */
export async function transcribeChunks(path: string, info: WavInfo, o: ChunkOptions, deps: TranscribeDeps, ready: (end: number) => Promise<void> = async () => {}): Promise<AsrAnswer & { chunks: number }> {
  const plan = planChunks(info.duration, o.chunkSec, Math.min(o.overlapSec, o.chunkSec / 3));
  const parts: Array<{ offset: number; duration: number; words: Word[] }> = [];
  let language: string | undefined;
  for (const [i, c] of plan.entries()) {
    const range = wavRange(info, c.start, c.end);
    await ready(range.end);
    const r = await deps.call(path, `part${i}.wav`, range);
    language ??= r.language;
    // Pieces and punctuation are joined per chunk first, so the overlap is resolved on whole words.
    parts.push({ offset: c.start, duration: c.end - c.start, words: normaliseWords(r.words) });
  }
  const words = mergeChunkWords(parts);
  return { duration: info.duration, language, text: undefined, words, chunks: plan.length };
}
