import { unlinkSync } from 'node:fs';
import { mergeChunkWords } from './chunkWords.js';
import { normaliseWords, type Word } from './merge.js';
import { planChunks } from './stitch.js';
import type { AsrAnswer } from './upstreamSchemas.js';
import { readWavInfo } from './wavFile.js';
import { sliceWav } from './wavSlice.js';

export interface TranscribeDeps {
  /** One serialised, time-limited call to the recogniser with a file from disk. */
  call(path: string, filename: string): Promise<AsrAnswer>;
  tmpPath(tag: string): string;
}

/** Whole-file ASR when the audio fits, overlapping chunks when a WAV is longer than `chunkSec`: parakeet runs out of
 *  attention memory past about 24 min (the ONNX exports past about 400 s). Chunked words come back whole (pieces
 *  joined), shifted to file time, overlaps resolved (chunkWords.ts). Files that cannot be sliced go whole. */
export async function transcribeFile(path: string, filename: string, o: { chunkSec: number; overlapSec: number }, deps: TranscribeDeps): Promise<AsrAnswer & { chunks: number }> {
  const wav = await readWavInfo(path);
  if (!wav.ok || wav.info.duration <= o.chunkSec) return { ...(await deps.call(path, filename)), chunks: 1 };
  const plan = planChunks(wav.info.duration, o.chunkSec, Math.min(o.overlapSec, o.chunkSec / 3));
  const parts: Array<{ offset: number; duration: number; words: Word[] }> = [];
  let language: string | undefined;
  // Chunk i+1 is cut while chunk i is at the recogniser, so the GPU does not wait for the disk between chunks.
  const cut = (i: number) => {
    const part = deps.tmpPath(`asr${i}`);
    const ready = sliceWav(path, wav.info, plan[i].start, plan[i].end, part);
    ready.catch(() => {}); // awaited in turn below; a failure meanwhile must not go unhandled
    return { part, ready };
  };
  let next: ReturnType<typeof cut> | undefined = cut(0);
  try {
    for (let i = 0; i < plan.length; i++) {
      const cur = next!;
      next = i + 1 < plan.length ? cut(i + 1) : undefined;
      try {
        await cur.ready;
        const r = await deps.call(cur.part, `part${i}.wav`);
        language ??= r.language;
        // Pieces and punctuation are joined per chunk first, so the overlap is resolved on whole words.
        parts.push({ offset: plan[i].start, duration: plan[i].end - plan[i].start, words: normaliseWords(r.words) });
      } finally {
        try { unlinkSync(cur.part); } catch { /* already gone */ }
      }
    }
  } finally {
    // A chunk cut ahead of a failed one is not left in the spool.
    if (next) { await next.ready.catch(() => {}); try { unlinkSync(next.part); } catch { /* never written */ } }
  }
  const words = mergeChunkWords(parts);
  return { duration: wav.info.duration, language, text: undefined, words, chunks: plan.length };
}
