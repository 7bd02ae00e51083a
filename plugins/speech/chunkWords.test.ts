import { describe, expect, it } from 'vitest';
import { mergeChunkWords } from './src/chunkWords.js';

const w = (word: string, start: number, end: number) => ({ word, start, end });

describe('joining overlapping ASR chunks', () => {
  // Chunk 0 covers 0–10 s, chunk 1 covers 8–18 s: the overlap 8–10 s is cut at 9 s.
  it('shifts by chunk offset and keeps each word of the overlap once', () => {
    const merged = mergeChunkWords([
      { offset: 0, duration: 10, words: [w('one', 1, 1.3), w('two', 8.2, 8.5), w('three', 9.4, 9.7), w('fou', 9.9, 10)] },
      { offset: 8, duration: 10, words: [w('two', 0.2, 0.5), w('three', 1.4, 1.7), w('four', 1.9, 2.2), w('five', 5, 5.3)] },
    ]);
    expect(merged.map((x) => `${x.word}@${x.start}`)).toEqual(['one@1', 'two@8.2', 'three@9.4', 'four@9.9', 'five@13']);
  });

  it('keeps a word at the cut once when the chunks time it on different sides', () => {
    const a = mergeChunkWords([
      { offset: 0, duration: 10, words: [w('cut', 8.9, 9.06)] }, // midpoint 8.98: chunk 0's side
      { offset: 8, duration: 10, words: [w('cut', 0.95, 1.11)] }, // midpoint 9.03: chunk 1's side
    ]);
    expect(a.map((x) => x.word)).toEqual(['cut']);
    const b = mergeChunkWords([
      { offset: 0, duration: 10, words: [w('cut', 8.95, 9.11)] }, // 9.03: past chunk 0's cut
      { offset: 8, duration: 10, words: [w('cut', 0.9, 1.06)] }, // 8.98: before chunk 1's cut
    ]);
    expect(b.map((x) => x.word)).toEqual(['cut']);
  });

  it('does not merge a real repetition ("no, no") into one word', () => {
    const r = mergeChunkWords([
      { offset: 0, duration: 10, words: [w('no,', 8.7, 8.9)] },
      { offset: 8, duration: 10, words: [w('no,', 0.7, 0.9), w('no.', 1.0, 1.2)] },
    ]);
    expect(r.map((x) => `${x.word}@${x.start}`)).toEqual(['no,@8.7', 'no.@9']);
  });
});
