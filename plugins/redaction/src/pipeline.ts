import { detectTier1, detectTier2, type DetectOptions, type Span } from './detect.js';
import { detectKnown, type KnownEntities } from './known.js';
import { detectNames, isOrdinaryWords } from './layers/names.js';
import { detectOrgs } from './layers/orgs.js';
import { detectSeen } from './layers/seen.js';
import { detectStructured } from './layers/structured.js';

/**
 * The detection pipeline, composed in this one place. Layers, each measurable alone (`npm run eval:redaction`):
 *   rules       detect.ts: checksummed tier-1 values, emails, phones (libphonenumber, US), IPs, URLs, US streets,
 *               Title-Case runs with cue words
 *   structured  layers/structured.ts: national phone formats of many countries, dates of birth, personal ids,
 *               postcodes and street layouts of Europe, the UK/Ireland, the US and Japan
 *   names       layers/names.ts: names in any script, case and position (lexicons: SCOWL words, compromise's names);
 *               layers/orgs.ts: organisations named by kind ("University of …", "… Clinic")
 *   known       known.ts: the caller's declared entities (they win where they overlap)
 *   llm         ner.ts (optional, through vLLM): spans the caller passes in as `extra`
 */
export type Layer = 'rules' | 'structured' | 'names' | 'known' | 'llm';
export const ALL_LAYERS: readonly Layer[] = ['rules', 'structured', 'names', 'known', 'llm'];

export interface PipelineOptions extends DetectOptions {
  layers?: ReadonlySet<Layer>;
  known?: KnownEntities;
  bucket?: { amounts?: boolean; dates?: boolean };
  /** Spans from the LLM NER step, already positioned. */
  extra?: Span[];
  /** Names already found elsewhere in the same request (layers/seen.ts). */
  seen?: Array<{ value: string; kind: string }>;
}

/** The last member of a list of names ("Brown and Sons", "Toy - Reichert", "Veum and Ferry") is part of the name. */
const listed = (text: string, start: number) => /\p{Lu}[\p{L}\p{M}'’-]*(?:,| and| &| -)\s$/u.test(text.slice(Math.max(0, start - 40), start));

/** Every span of every enabled layer, unresolved. */
export function detectAll(text: string, o: PipelineOptions = {}): { known: Span[]; found: Span[] } {
  const on = (l: Layer) => !o.layers || o.layers.has(l);
  const found: Span[] = [];
  if (on('rules')) {
    found.push(...detectTier1(text, o));
    // A lone capitalised common word ("Officer", "Refund") is grammar, not a name, on real text.
    found.push(...detectTier2(text, { bucketDates: o.bucket?.dates, bucketAmounts: o.bucket?.amounts, without: o.without })
      .filter((s) => !((s.kind === 'PERSON' || s.kind === 'LOCATION') && on('names') && isOrdinaryWords(text.slice(s.start, s.end)) && !listed(text, s.start))));
  }
  if (on('structured')) found.push(...detectStructured(text));
  if (on('names')) found.push(...detectNames(text), ...detectOrgs(text));
  if (on('llm') && o.extra) found.push(...o.extra);
  if (o.seen) found.push(...detectSeen(text, o.seen));
  return { known: on('known') ? detectKnown(text, o.known) : [], found };
}

/**
 * Non-overlapping spans, in order. Tier 1 wins. Caller-declared entities keep their exact extent (their key makes the
 * placeholder stable). Other tier-2 spans that overlap are merged into one covering all of them, so a name cut short
 * by one layer ("Zieli|ńska") is still wholly covered by another; the merged span takes the longest member's kind.
 */
const STRUCTURED = new Set(['EMAIL', 'URL', 'PHONE', 'IP']);

export function resolveSpans(known: Span[], found: Span[]): Span[] {
  const tier1 = found.filter((s) => s.tier === 1);
  const kept: Span[] = [];
  const overlaps = (s: Span, list: Span[]) => list.some((k) => s.start < k.end && k.start < s.end);
  for (const s of [...tier1].sort((a, b) => (b.end - b.start) - (a.end - a.start))) if (!overlaps(s, kept)) kept.push(s);
  // A structured value that contains a declared name ("maria.gonzalez@…") stays whole: it is the longer secret.
  for (const s of found.filter((f) => STRUCTURED.has(f.kind) && known.some((k) => f.start <= k.start && k.end <= f.end && (f.end - f.start) > (k.end - k.start)))) if (!overlaps(s, kept)) kept.push(s);
  for (const s of [...known].sort((a, b) => (b.end - b.start) - (a.end - a.start))) if (!overlaps(s, kept)) kept.push(s);
  const rest = found.filter((s) => s.tier === 2 && !overlaps(s, kept)).sort((a, b) => a.start - b.start || b.end - a.end);
  let cur: { s: Span; longest: Span } | undefined;
  const flush = () => {
    if (!cur) return;
    const { s, longest } = cur;
    const merged = s.start === longest.start && s.end === longest.end ? longest : { ...longest, start: s.start, end: s.end, key: undefined };
    kept.push(merged);
  };
  for (const s of rest) {
    if (cur && s.start < cur.s.end) {
      if (s.end > cur.s.end) cur.s = { ...cur.s, end: s.end };
      if (s.end - s.start > cur.longest.end - cur.longest.start) cur.longest = s;
      continue;
    }
    flush();
    cur = { s: { ...s }, longest: s };
  }
  flush();
  return kept.sort((a, b) => a.start - b.start);
}

export function detectPipeline(text: string, o: PipelineOptions = {}): Span[] {
  const { known, found } = detectAll(text, o);
  return resolveSpans(known, found);
}
