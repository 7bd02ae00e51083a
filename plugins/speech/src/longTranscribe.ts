import { mergeChunkWords } from './chunkWords.js';
import { normaliseWords, type Word } from './merge.js';
import { planChunks } from './stitch.js';
import type { AsrAnswer } from './upstreamSchemas.js';
import { readWavInfo } from './wavFile.js';
import { wavRange, type WavRange } from './wavSlice.js';

export interface TranscribeDeps {
  /** One serialised, time-limited call to the recogniser with a file from disk, or (`range`) a part of one. */
  call(path: string, filename: string, range?: WavRange): Promise<AsrAnswer>;
}

/** Whole-file ASR when the audio fits, overlapping chunks when a WAV is longer than `chunkSec`: parakeet runs out of
 *  attention memory past about 24 min (the ONNX exports past about 400 s). Each chunk is sent as a WAV of its own
 *  straight from the file (its header, then its byte range), never cut to disk: cutting each chunk first left the GPU
 *  idle while the disk copied it, 10–23 ms before the first chunk alone. Chunked words come back whole (pieces
 *  joined), shifted to file time, overlaps resolved (chunkWords.ts). Files that cannot be sliced go whole. */
export async function transcribeFile(path: string, filename: string, o: { chunkSec: number; overlapSec: number }, deps: TranscribeDeps): Promise<AsrAnswer & { chunks: number }> {
  const wav = await readWavInfo(path);
  if (!wav.ok || wav.info.duration <= o.chunkSec) return { ...(await deps.call(path, filename)), chunks: 1 };
  const plan = planChunks(wav.info.duration, o.chunkSec, Math.min(o.overlapSec, o.chunkSec / 3));
  const parts: Array<{ offset: number; duration: number; words: Word[] }> = [];
  let language: string | undefined;
  for (const [i, c] of plan.entries()) {
    const r = await deps.call(path, `part${i}.wav`, wavRange(wav.info, c.start, c.end));
    language ??= r.language;
    // Pieces and punctuation are joined per chunk first, so the overlap is resolved on whole words.
    parts.push({ offset: c.start, duration: c.end - c.start, words: normaliseWords(r.words) });
  }
  const words = mergeChunkWords(parts);
  return { duration: wav.info.duration, language, text: undefined, words, chunks: plan.length };
}
