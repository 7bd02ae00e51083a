import { describe, expect, it } from 'vitest';
import { fingerprint } from './sim/hearing.js';
import { smoothOverlaps } from './src/smoothing.js';
import { planChunks, stitchChunks, type ChunkDiarization } from './src/stitch.js';

const fp = (name: string, at: number) => fingerprint(name, at);

describe('chunk plan', () => {
  it('covers the file with overlapping chunks and no sliver at the end', () => {
    expect(planChunks(200, 300, 15)).toEqual([{ start: 0, end: 200 }]);
    const p = planChunks(900, 300, 15);
    expect(p[0]).toEqual({ start: 0, end: 300 });
    expect(p[1].start).toBe(285);
    expect(p[p.length - 1].end).toBe(900);
    for (let i = 1; i < p.length; i++) expect(p[i - 1].end - p[i].start).toBeCloseTo(15);
  });
});

describe('stitching chunk labels into global speakers', () => {
  // Chunk 0 (0–10 s): Ann then Bob. Chunk 1 (8–18 s): Bob speaks first, so the diarizer calls him Speaker_0 there.
  const chunks: ChunkDiarization[] = [
    { offset: 0, duration: 10, segments: [{ start: 0, end: 4, speaker: 'Speaker_0' }, { start: 5, end: 10, speaker: 'Speaker_1' }], fingerprints: { Speaker_0: fp('ann', 0), Speaker_1: fp('bob', 0) } },
    { offset: 8, duration: 10, segments: [{ start: 0, end: 3, speaker: 'Speaker_0' }, { start: 4, end: 9, speaker: 'Speaker_1' }], fingerprints: { Speaker_0: fp('bob', 8), Speaker_1: fp('ann', 8) } },
  ];

  it('links labels by fingerprint, shifts by chunk offset and counts the overlap once', () => {
    const r = stitchChunks(chunks);
    expect(r.speakers).toEqual(['Speaker_0', 'Speaker_1']);
    // Bob's speech 5–10 (chunk 0) and 8–11 (chunk 1) becomes one turn, cut at the overlap's middle (9 s).
    expect(r.turns).toEqual([{ start: 0, end: 4, speaker: 'Speaker_0' }, { start: 5, end: 11, speaker: 'Speaker_1' }, { start: 12, end: 17, speaker: 'Speaker_0' }]);
    expect(r.capChunks).toEqual([]);
  });

  it('gives each global speaker one fingerprint: the mean of its chunk labels\' prints, closest to their own voice', async () => {
    const r = stitchChunks(chunks);
    expect(Object.keys(r.fingerprints).sort()).toEqual(['Speaker_0', 'Speaker_1']);
    const { cosine } = await import('./src/stitch.js');
    expect(r.fingerprints.Speaker_0.length).toBe(fp('ann', 0).length);
    // Speaker_0 is Ann: her stitched print is nearer each of her chunk prints than Bob's is.
    expect(cosine(r.fingerprints.Speaker_0, fp('ann', 0))).toBeGreaterThan(cosine(r.fingerprints.Speaker_0, fp('bob', 0)));
    expect(cosine(r.fingerprints.Speaker_1, fp('bob', 8))).toBeGreaterThan(cosine(r.fingerprints.Speaker_1, fp('ann', 8)));
  });

  it('never merges two speakers of one chunk, even with look-alike prints', () => {
    const same = fp('twin', 0);
    const r = stitchChunks([{ offset: 0, duration: 10, segments: [{ start: 0, end: 2, speaker: 'A' }, { start: 3, end: 5, speaker: 'B' }], fingerprints: { A: same, B: same } }]);
    expect(r.speakers).toHaveLength(2);
  });

  it('keeps different people apart when the prints are not similar enough', () => {
    const r = stitchChunks([chunks[0], { offset: 8, duration: 10, segments: [{ start: 3, end: 6, speaker: 'Speaker_0' }], fingerprints: { Speaker_0: fp('carol', 8) } }]);
    expect(r.speakers).toHaveLength(3);
  });

  it('falls back to co-activity in the overlap when a label has no fingerprint', () => {
    const r = stitchChunks([
      { offset: 0, duration: 10, segments: [{ start: 0, end: 4, speaker: 'S0' }, { start: 5, end: 10, speaker: 'S1' }] },
      { offset: 8, duration: 10, segments: [{ start: 0, end: 3, speaker: 'S0' }, { start: 4, end: 9, speaker: 'S1' }] },
    ]);
    // Chunk 1's S0 is active 8–10 s, where chunk 0's S1 was: same person.
    expect(r.turns.map((t) => t.speaker)).toEqual(['Speaker_0', 'Speaker_1', 'Speaker_2']);
    expect(r.turns[1]).toEqual({ start: 5, end: 11, speaker: 'Speaker_1' });
  });

  it('reports the chunks that hit the 4-speaker cap', () => {
    const four = { offset: 0, duration: 10, segments: ['A', 'B', 'C', 'D'].map((s, i) => ({ start: i * 2, end: i * 2 + 1, speaker: s })), speakersDetected: 4 };
    expect(stitchChunks([chunks[0], { ...four, offset: 8 }]).capChunks).toEqual([1]);
  });
});

describe('3-word majority smoothing', () => {
  const turns = [{ start: 0, end: 2.1, speaker: 'A' }, { start: 1.9, end: 4, speaker: 'B' }];
  it('gives an ambiguous word in double talk to the speaker who owns both neighbours', () => {
    const words = [
      { word: 'one', start: 1.5, end: 1.85, speaker: 'B' },
      { word: 'two', start: 1.9, end: 2.1, speaker: 'A' }, // sits in both turns equally: max overlap is a coin-flip
      { word: 'three', start: 2.2, end: 2.5, speaker: 'B' },
    ];
    const r = smoothOverlaps(words, turns);
    expect(r.words[1].speaker).toBe('B');
    expect(r.smoothed).toBe(1);
  });
  it('leaves clear words and far neighbours alone', () => {
    const clear = [{ word: 'a', start: 0.1, end: 0.4, speaker: 'B' }, { word: 'b', start: 0.5, end: 0.9, speaker: 'A' }, { word: 'c', start: 2.5, end: 2.9, speaker: 'B' }];
    expect(smoothOverlaps(clear, turns).smoothed).toBe(0);
    const far = [{ word: 'a', start: 0, end: 0.1, speaker: 'B' }, { word: 'b', start: 1.9, end: 2.1, speaker: 'A' }, { word: 'c', start: 5, end: 5.2, speaker: 'B' }];
    expect(smoothOverlaps(far, turns).smoothed).toBe(0);
  });
});
