import { describe, expect, it } from 'vitest';
import { normaliseText, suppressBleed } from './src/bleed.js';

const w = (word: string, start: number, end: number) => ({ word, start, end, speaker: 'x' });
const T = { minOverlapRatio: 0.5, louderDb: 6 };
/** Remote 12 dB louder everywhere, as when the far end's voice leaks into the local mic. */
const remoteLouder = () => ({ local: -32, remote: -20 });

describe('bleed suppression', () => {
  it('drops a local word that has a same-text twin on the louder remote channel', () => {
    const r = suppressBleed([w('Hello,', 1, 1.4), w('there', 1.5, 1.8)], [w('hello', 1.02, 1.41)], remoteLouder, T);
    expect(r.local.map((x) => x.word)).toEqual(['there']);
    expect(r).toMatchObject({ suppressedLocal: 1, suppressedRemote: 0 });
    expect(r.remote).toHaveLength(1);
  });

  it('keeps a twin that is not quieter enough (both people said it)', () => {
    const r = suppressBleed([w('yes', 1, 1.3)], [w('yes', 1, 1.3)], () => ({ local: -22, remote: -19 }), T);
    expect(r.local).toHaveLength(1);
    expect(r.remote).toHaveLength(1);
    expect(r.suppressedLocal + r.suppressedRemote).toBe(0);
  });

  it('keeps a local word with a twin on a quieter remote channel, and drops the remote echo instead', () => {
    const r = suppressBleed([w('okay', 2, 2.4)], [w('okay', 2, 2.4)], () => ({ local: -20, remote: -40 }), T);
    expect(r.local).toHaveLength(1);
    expect(r.remote).toHaveLength(0);
    expect(r.suppressedRemote).toBe(1);
  });

  it('never drops a local word without a textual twin, however loud the remote side is', () => {
    const r = suppressBleed([w('quietly', 1, 1.5), w('.', 1.5, 1.5)], [w('LOUDLY', 1, 1.5), w('.', 1.5, 1.5)], () => ({ local: -60, remote: -6 }), T);
    expect(r.local.map((x) => x.word)).toEqual(['quietly', '.']);
  });

  it('needs the time overlap too: a same word said later is not a copy', () => {
    const r = suppressBleed([w('the', 1, 1.2)], [w('the', 1.15, 1.35), w('the', 5, 5.2)], remoteLouder, T);
    expect(r.local).toHaveLength(1); // 25 % overlap < 50 %
    expect(suppressBleed([w('the', 1, 1.2)], [w('the', 1.05, 1.25)], remoteLouder, T).local).toHaveLength(0); // 75 %
  });

  it('follows configured thresholds', () => {
    expect(suppressBleed([w('hi', 1, 1.2)], [w('hi', 1, 1.2)], remoteLouder, { minOverlapRatio: 0.5, louderDb: 15 }).local).toHaveLength(1);
    expect(suppressBleed([w('hi', 1, 1.2)], [w('hi', 1.15, 1.35)], remoteLouder, { minOverlapRatio: 0.2, louderDb: 6 }).local).toHaveLength(0);
  });

  it('never drops both copies of one word', () => {
    // Levels that differ per span could make each copy look like the other's bleed; the local decision wins.
    const levels = (s: number) => (s < 1.01 ? { local: -30, remote: -20 } : { local: -20, remote: -30 });
    const r = suppressBleed([w('go', 1, 1.2)], [w('go', 1.02, 1.2)], levels, T);
    expect(r.local.length + r.remote.length).toBe(1);
  });

  it('normalises case, punctuation and width', () => {
    expect(normaliseText('Hello,')).toBe(normaliseText('hello'));
    expect(normaliseText('ＯＫ!')).toBe('ok');
    expect(normaliseText('...')).toBe('');
  });
});
