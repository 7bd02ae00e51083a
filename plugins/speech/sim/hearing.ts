import { readChunks, truthOf, type TruthWord } from './wav.js';
import { placeholderWords, voicedSegments } from './placeholderHearing.js';

/** What the fake recogniser "hears" in the audio it was sent. The truth chunk lists every word of the original
 *  recording; a file may be one channel of a stereo call or a slice of a long file, so the fake places the truth on
 *  the slice (Broadcast-WAV `bext` TimeReference) and judges each word by the real samples: silent words are not
 *  there, words drowned ≥ 15 dB under simultaneous louder speech are not decoded, and the diarizer (Sortformer is
 *  trained to ignore background talk) only counts words within 15 dB of the loudest speech in the file. Words past
 *  the part of a large upload the fake kept are assumed audible, and so are all words of a file that is pure digital
 *  silence (fixtures that only carry a truth chunk). */
export interface HeardWord extends TruthWord { level: number }

const ASR_FLOOR = 30; // RMS in 16-bit units, about -61 dBFS
const MASK_RATIO = 10 ** (-15 / 20);

function offsetSec(chunks: Map<string, Buffer>, rate: number): number {
  const b = chunks.get('bext');
  if (!b || b.length < 346) return 0;
  return (b.readUInt32LE(338) + b.readUInt32LE(342) * 0x1_0000_0000) / rate;
}

/** Mono view (channels averaged, as the GPU service downmixes) of whatever PCM the fake kept. */
function monoPcm(chunks: Map<string, Buffer>): { pcm: Float64Array; rate: number } | undefined {
  const fmt = chunks.get('fmt '), data = chunks.get('data');
  if (!fmt || !data || fmt.length < 16 || fmt.readUInt16LE(14) !== 16) return undefined;
  const ch = Math.max(1, fmt.readUInt16LE(2)), rate = fmt.readUInt32LE(4);
  const n = Math.floor(data.length / (2 * ch));
  const pcm = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = 0; for (let c = 0; c < ch; c++) s += data.readInt16LE((i * ch + c) * 2); pcm[i] = s / ch; }
  return { pcm, rate };
}

function rms(pcm: Float64Array, rate: number, start: number, end: number): number {
  const a = Math.max(0, Math.floor(start * rate)), b = Math.floor(end * rate);
  if (b > pcm.length) return Infinity;
  if (b <= a) return 0;
  let s = 0;
  for (let i = a; i < b; i++) s += pcm[i] * pcm[i];
  return Math.sqrt(s / (b - a));
}

/** RMS over the part of `w` where no other word is spoken, with that part's length. */
function exclusiveLevel(w: TruthWord, all: TruthWord[], pcm: Float64Array, rate: number): { len: number; level: number } {
  const others = all.filter((o) => o !== w && o.end > w.start && o.start < w.end);
  if (!others.length) return { len: w.end - w.start, level: rms(pcm, rate, w.start, w.end) };
  let best = { len: 0, level: 0 };
  const edges = [w.start, w.end, ...others.flatMap((o) => [o.start, o.end])].filter((t) => t >= w.start && t <= w.end).sort((a, b) => a - b);
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i], b = edges[i + 1];
    if (b - a > best.len && !others.some((o) => o.start < b && o.end > a)) best = { len: b - a, level: rms(pcm, rate, a, b) };
  }
  return best;
}

/** How loud a word's own voice is in this stream. Where it is drowned out by someone else for most of its length,
 *  the same speaker's clearly measurable words nearby stand in (a voice keeps its level within an utterance). */
function ownLevels(words: TruthWord[], pcm: Float64Array, rate: number): number[] {
  const ex = words.map((w) => exclusiveLevel(w, words, pcm, rate));
  const reliable = ex.map((e, i) => e.len >= 0.1 && e.len >= 0.3 * (words[i].end - words[i].start));
  return words.map((w, i) => {
    if (reliable[i]) return ex[i].level;
    const near = words.map((o, j) => ({ o, j })).filter(({ o, j }) => reliable[j] && o.speaker === w.speaker && Math.abs(o.start - w.start) < 5).map(({ j }) => ex[j].level).sort((a, b) => a - b);
    return near.length ? near[Math.floor(near.length / 2)] : rms(pcm, rate, w.start, w.end);
  });
}

export function heardWords(wav: Buffer, duration: number): { asr: HeardWord[]; diarizer: HeardWord[]; offset: number } {
  const chunks = readChunks(wav);
  const rate = chunks.get('fmt ')?.readUInt32LE(4) ?? 16000;
  const offset = offsetSec(chunks, rate);
  const placed = truthOf(wav)
    .map((w) => ({ ...w, start: +(w.start - offset).toFixed(3), end: +(w.end - offset).toFixed(3) }))
    .filter((w) => (w.start + w.end) / 2 >= 0 && (w.start + w.end) / 2 < duration)
    .map((w) => ({ ...w, start: Math.max(0, w.start), end: Math.min(duration, w.end) }));
  const audio = monoPcm(chunks);
  // Audio without a truth chunk (the user's own): a marked placeholder transcript timed to where someone speaks.
  if (!chunks.has('sctx') && audio) {
    const words = placeholderWords(voicedSegments(audio.pcm, audio.rate, ASR_FLOOR));
    return { asr: words, diarizer: words, offset };
  }
  // Fixtures made of digital silence plus a truth chunk (load tests, size tests) keep getting their words back.
  if (!audio || audio.pcm.every((v) => v === 0)) return { asr: placed.map((w) => ({ ...w, level: Infinity })), diarizer: placed.map((w) => ({ ...w, level: Infinity })), offset };
  const levels = ownLevels(placed, audio.pcm, audio.rate);
  const levelled = placed.map((w, i) => ({ ...w, level: levels[i] }));
  const asr = levelled.filter((w) => w.level >= ASR_FLOOR && !levelled.some((o) => o !== w && o.end > w.start && o.start < w.end && w.level < o.level * MASK_RATIO));
  const loudest = Math.max(0, ...asr.map((w) => (Number.isFinite(w.level) ? w.level : 0)));
  const diarizer = asr.filter((w) => w.level >= loudest * MASK_RATIO);
  return { asr, diarizer, offset };
}

/** A stable 192-d voice print per simulated speaker (same person ⇒ same direction in every chunk), with a little
 *  per-chunk noise so linking chunks is a real clustering problem and not string equality. */
export function fingerprint(speaker: string, chunkOffset: number): number[] {
  let h = 2166136261;
  for (const ch of speaker) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const seed = 1 + (h % 1000) / 37;
  let n = Math.floor(chunkOffset * 1000) + 7;
  const noise = () => { n = (Math.imul(n, 1103515245) + 12345) >>> 0; return (n / 0x1_0000_0000 - 0.5) * 0.4; };
  return Array.from({ length: 192 }, (_, k) => +(Math.cos(seed * (k + 1)) + noise()).toFixed(5));
}
