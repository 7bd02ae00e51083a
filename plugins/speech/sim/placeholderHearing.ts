import type { TruthWord } from './wav.js';

/** What the fake recogniser returns for audio that carries no truth chunk (the user's own recording, an espeak-ng
 *  WAV, a microphone take): it cannot recognise words, so it finds where someone speaks by energy and fills those
 *  stretches with a clearly marked placeholder sentence, one word per ~0.4 s, timed to the voiced segments. The text
 *  says what it is, so nobody mistakes it for a transcript. */
export const PLACEHOLDER_WORDS = 'simulated transcript: the simulator heard speech here but cannot recognise words.'.split(' ');
/** The one simulated voice behind placeholder words (the simulator cannot tell speakers apart without a truth chunk). */
export const PLACEHOLDER_SPEAKER = 'simulated-voice';

const FRAME_SEC = 0.02;
const WORD_SEC = 0.4;
const MIN_SEGMENT_SEC = 0.12;
const BRIDGE_GAP_SEC = 0.3;

export interface VoicedSegment { start: number; end: number; level: number }

/** Stretches of the mono signal louder than `floor` and than a tenth of the loud frames' level (so a steady hum
 *  under the speech does not count), gaps under 0.3 s bridged, blips under 0.12 s dropped. */
export function voicedSegments(pcm: Float64Array, rate: number, floor: number): VoicedSegment[] {
  const step = Math.max(1, Math.round(rate * FRAME_SEC));
  const levels: number[] = [];
  for (let a = 0; a + step <= pcm.length; a += step) {
    let s = 0;
    for (let i = a; i < a + step; i++) s += pcm[i] * pcm[i];
    levels.push(Math.sqrt(s / step));
  }
  if (!levels.length) return [];
  const sorted = [...levels].sort((x, y) => x - y);
  const loud = sorted[Math.floor(sorted.length * 0.95)];
  const threshold = Math.max(floor, loud * 0.1);
  const out: VoicedSegment[] = [];
  levels.forEach((l, i) => {
    if (l < threshold) return;
    const t = i * FRAME_SEC;
    const last = out[out.length - 1];
    if (last && t - last.end <= BRIDGE_GAP_SEC) { last.end = t + FRAME_SEC; last.level = Math.max(last.level, l); }
    else out.push({ start: t, end: t + FRAME_SEC, level: l });
  });
  return out.filter((s) => s.end - s.start >= MIN_SEGMENT_SEC).map((s) => ({ start: +s.start.toFixed(3), end: +s.end.toFixed(3), level: s.level }));
}

/** Placeholder words spread over the voiced segments, the sentence repeating as long as the speech goes on. */
export function placeholderWords(segments: VoicedSegment[]): Array<TruthWord & { level: number }> {
  const out: Array<TruthWord & { level: number }> = [];
  let k = 0;
  for (const seg of segments) {
    const n = Math.max(1, Math.round((seg.end - seg.start) / WORD_SEC));
    const len = (seg.end - seg.start) / n;
    for (let i = 0; i < n; i++) {
      out.push({ word: PLACEHOLDER_WORDS[k % PLACEHOLDER_WORDS.length], start: +(seg.start + i * len).toFixed(3), end: +(seg.start + (i + 1) * len).toFixed(3), speaker: PLACEHOLDER_SPEAKER, level: seg.level });
      k++;
    }
  }
  return out;
}
