import type { Span } from './detect.js';
import { descriptiveFlags } from './descriptiveFlags.js';
import type { KnownEntities } from './known.js';
import { fold } from './fold.js';
import { detectSeen } from './layers/seen.js';
import { detectAll, resolveSpans } from './pipeline.js';
import type { MapStore, RedactionMap } from './maps.js';

export interface ScrubOptions {
  known?: KnownEntities;
  tier1Action: 'drop' | 'reject';
  bucket?: { amounts?: boolean; dates?: boolean };
  /** Extra spans from the LLM NER step (already positioned). */
  extra?: (itemId: string, text: string) => Span[];
}

export interface ScrubItemResult { id: string; scrubbed_text: string; tokens_used: string[] }
export interface ScrubOutcome {
  items: ScrubItemResult[];
  stats: { tier1_dropped: number; tier2_tokenized: number; distinct_entities: number; descriptive_flags: Array<{ item: string; span: string; action: string }> };
  /** Tier-1 kinds per item when rejecting (values never included). */
  rejected?: Array<{ item: string; kinds: string[] }>;
}

/** Scrub every item against one map: tier-1 values dropped (or the request rejected), tier-2 identities replaced by
 *  placeholders that are stable across items of the map. The map is only mutated when nothing is rejected. */
export async function scrubItems(items: Array<{ id: string; text: string }>, map: RedactionMap, store: MapStore, o: ScrubOptions): Promise<ScrubOutcome> {
  // Caller-declared entities win where they overlap; see pipeline.ts for the layers.
  // Detection is linear but a large request still takes a while: every pass over the items lets other requests
  // (/health) in between items. The passes after detection had none, and on 96 items of 50,000 characters they held
  // the loop for 1.2 s in one piece.
  const pause = timeSlicer();
  const raw = await mapPausing(items, pause, (it) => ({ it, ...detectAll(it.text, { known: o.known, bucket: o.bucket, extra: o.extra?.(it.id, it.text) }) }));
  let perItem = await mapPausing(raw, pause, ({ it, known, found }) => ({ it, spans: resolveSpans(known, found) }));
  // A name found anywhere in the request is looked for everywhere in it: "Siobhán Ní Bhriain" in one message catches
  // "siobhán ní bhriain" in the next (same entity, same placeholder). Only this scan runs again, not the layers.
  const seen = await batchNames(perItem, pause);
  if (seen.length) perItem = await mapPausing(raw, pause, ({ it, known, found }) => ({ it, spans: resolveSpans(known, [...found, ...detectSeen(it.text, seen)]) }));
  if (o.tier1Action === 'reject') {
    const rejected = perItem.flatMap(({ it, spans }) => {
      const kinds = [...new Set(spans.filter((s) => s.tier === 1).map((s) => s.kind))];
      return kinds.length ? [{ item: it.id, kinds }] : [];
    });
    if (rejected.length) return { items: [], stats: { tier1_dropped: 0, tier2_tokenized: 0, distinct_entities: 0, descriptive_flags: [] }, rejected };
  }
  let dropped = 0;
  let tokenized = 0;
  const used = new Set<string>();
  const results = await mapPausing(perItem, pause, ({ it, spans }): ScrubItemResult => {
    let out = '';
    let pos = 0;
    const tokens: string[] = [];
    for (const s of spans) {
      out += it.text.slice(pos, s.start);
      if (s.tier === 1) {
        out += `[REDACTED_${s.kind}]`;
        dropped++;
      } else {
        const raw = it.text.slice(s.start, s.end).replace(/['’]s$/, '');
        const possessive = /['’]s$/.test(it.text.slice(s.start, s.end)) ? it.text.slice(s.end - 2, s.end) : '';
        const named = s.kind === 'PERSON' || s.kind === 'ORG' || s.kind === 'FUND' || s.kind === 'LOCATION';
        const other = s.key && s.key !== raw ? s.key : undefined;
        const ph = named ? store.placeholder(map, s.kind, raw, other) : store.placeholder(map, s.kind, raw, undefined, other);
        out += ph + possessive;
        tokens.push(ph);
        used.add(ph);
        tokenized++;
      }
      pos = s.end;
    }
    out += it.text.slice(pos);
    return { id: it.id, scrubbed_text: out, tokens_used: [...new Set(tokens)] };
  });
  return { items: results, stats: { tier1_dropped: dropped, tier2_tokenized: tokenized, distinct_entities: used.size, descriptive_flags: descriptiveFlags(results) } };
}

/** A pause that lets the event loop run other requests once 20 ms of work passed since the last one (and costs
 *  nothing before that): awaited between items, it bounds how long one large request holds the loop. */
function timeSlicer(sliceMs = 20): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since <= sliceMs) return;
    await new Promise((r) => setImmediate(r));
    since = performance.now();
  };
}

/** `f` of every item in order, with a `pause` before each. */
async function mapPausing<T, R>(items: readonly T[], pause: () => Promise<void>, f: (item: T) => R): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) { await pause(); out.push(f(item)); }
  return out;
}

/** Names of two words or more found in a batch (bounded, so a huge batch costs at most a few hundred extra scans). */
async function batchNames(perItem: Array<{ it: { text: string }; spans: Span[] }>, pause: () => Promise<void>): Promise<Array<{ value: string; kind: string }>> {
  const out = new Map<string, { value: string; kind: string }>();
  for (const { it, spans } of perItem) {
    await pause();
    for (const s of spans) {
      const v = it.text.slice(s.start, s.end).replace(/['’]s$/u, '').trim();
      if ((s.kind !== 'PERSON' && s.kind !== 'ORG') || !/\S\s+\S/.test(v) || v.length > 80 || /\n/.test(v) || out.size >= 300) continue;
      out.set(fold(v), { value: v, kind: s.kind });
    }
  }
  return [...out.values()];
}

/** Placeholders as LLMs tend to write them back: `[PERSON_1]`, `[Person 1]`, `[[PERSON_1]]`, `\[PERSON\_1\]`,
 *  `PERSON_1`, `<PERSON_1>`, `{PERSON_1}`. */
// The spaces inside the brackets are bounded: `\s*` there was tried from every position of a long run of spaces.
const PLACEHOLDER = /\\?[[<{]{0,2}\s{0,8}\b([A-Za-z]{2,16})(?:\\?_|\s|-)(\d{1,5})\b\s{0,8}\\?[\]>}]{0,2}/g;

const KINDS = new Set(['PERSON', 'ORG', 'FUND', 'EMAIL', 'PHONE', 'LOCATION', 'ACCOUNT', 'DATE', 'AMOUNT', 'IP', 'URL', 'DOB', 'ID']);

export function rehydrateText(text: string, map: RedactionMap): { text: string; replaced: number; unknown: string[] } {
  let replaced = 0;
  const unknown = new Set<string>();
  const out = text.replace(PLACEHOLDER, (whole, kind: string, n: string) => {
    const bracketed = /^[\\[<{]/.test(whole.trim()) || /[\]>}]$/.test(whole.trim());
    const upper = kind === kind.toUpperCase();
    if (!bracketed && !upper) return whole; // "Chapter 2", "Room 5": prose, not a placeholder
    const ph = `[${kind.toUpperCase()}_${n}]`;
    const value = map.values[ph];
    if (value === undefined) {
      if (bracketed || KINDS.has(kind.toUpperCase())) unknown.add(ph);
      return whole;
    }
    replaced++;
    return value;
  });
  return { text: out, replaced, unknown: [...unknown] };
}
