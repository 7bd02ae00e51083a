/**
 * The hand-written evaluation set (eval/real/*.txt): documents of the kinds users send (emails, chat, meeting
 * transcripts, clinical notes, invoices, support tickets, HR letters), annotated by exact substrings.
 *
 * File format, one document after another:
 *   === <doc-id> <genre>         starts a document
 *   <text lines>                 an item's text (several lines allowed)
 *   @ <CLASS> <value>; <value>   gold values of that class in the item above
 *   ---                          next item of the same document
 *   # …                          comment (only before the first document)
 * Every whole-word occurrence of a gold value in its item is gold. A value that does not occur is an error: the
 * loader throws, naming the file, document and value, so a typo can never silently shrink the gold set.
 *
 * The split into tuning and held-out halves is by DOCUMENT and was drawn once (eval/real/split.json); the rules were
 * written looking at the tuning half only.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Entity, Sample } from './corpus.js';

export const TIER1_CLASSES = new Set(['CARD', 'IBAN', 'SSN', 'ROUTING', 'ACCOUNT', 'CRYPTO', 'SECRET', 'PASSWORD']);
export const TIER2_CLASSES = new Set(['PERSON', 'ORG', 'LOCATION', 'ADDRESS', 'PHONE', 'EMAIL', 'DATE_OF_BIRTH', 'ID']);

export interface RealSample extends Sample { id: string; doc: string; genre: string }

const DIR = join(import.meta.dirname, 'real');
const wordChar = /[\p{L}\p{N}]/u;

function occurrences(text: string, value: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(value); i >= 0; i = text.indexOf(value, i + 1)) {
    const before = text[i - 1] ?? ' ';
    const after = text[i + value.length] ?? ' ';
    if (!wordChar.test(before) && !wordChar.test(after)) out.push(i);
  }
  return out;
}

export function parseRealFile(name: string, src: string): RealSample[] {
  const out: RealSample[] = [];
  let doc = '';
  let genre = '';
  let lines: string[] = [];
  let gold: Array<[string, string]> = [];
  let n = 0;
  const flush = () => {
    if (!doc) return;
    const text = lines.join('\n').trim();
    if (!text) throw new Error(`${name}: document ${doc} has an empty item`);
    const entities: Entity[] = [];
    for (const [cls, value] of gold) {
      const at = occurrences(text, value);
      if (!at.length) throw new Error(`${name}: document ${doc}, item ${n}: gold ${cls} "${value}" is not a whole word of the text`);
      for (const start of at) entities.push({ kind: cls, tier: TIER1_CLASSES.has(cls) ? 1 : 2, start, end: start + value.length, value });
    }
    out.push({ id: `${doc}-${n}`, doc, genre, template: 0, text, entities });
    n++;
    lines = [];
    gold = [];
  };
  for (const line of src.split('\n')) {
    const head = /^=== (\S+) (\S+)\s*$/.exec(line);
    if (head) { flush(); [doc, genre, n] = [head[1], head[2], 0]; continue; }
    if (!doc) { if (line.trim() && !line.startsWith('#')) throw new Error(`${name}: text before the first document`); continue; }
    if (line.trim() === '---') { flush(); continue; }
    const g = /^@ ([A-Z_0-9]+) (.+)$/.exec(line);
    if (g) {
      if (!TIER1_CLASSES.has(g[1]) && !TIER2_CLASSES.has(g[1])) throw new Error(`${name}: document ${doc}: unknown class ${g[1]}`);
      for (const v of g[2].split(';').map((s) => s.trim()).filter(Boolean)) gold.push([g[1], v]);
      continue;
    }
    if (gold.length && !line.trim()) continue;
    if (gold.length) throw new Error(`${name}: document ${doc}: text after the gold lines of an item (missing ---?)`);
    lines.push(line);
  }
  flush();
  return out;
}

export function loadReal(): RealSample[] {
  const all = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort().flatMap((f) => parseRealFile(f, readFileSync(join(DIR, f), 'utf8')));
  const ids = new Set<string>();
  for (const s of all) { if (ids.has(s.doc + '#' + s.id)) throw new Error(`duplicate item ${s.id}`); ids.add(s.doc + '#' + s.id); }
  return all;
}

/** The recorded split: the documents held out. Every document is in exactly one half (checked). */
export function heldOutDocs(): Set<string> {
  return new Set((JSON.parse(readFileSync(join(DIR, 'split.json'), 'utf8')) as { heldout: string[] }).heldout);
}

export function realHalf(which: 'tune' | 'heldout' | 'all'): RealSample[] {
  const all = loadReal();
  if (which === 'all') return all;
  const held = heldOutDocs();
  const docs = new Set(all.map((s) => s.doc));
  for (const d of held) if (!docs.has(d)) throw new Error(`split.json names document ${d}, which does not exist`);
  return all.filter((s) => held.has(s.doc) === (which === 'heldout'));
}
