/** NLP libraries measured as a names/places layer (eval only: neither is used at runtime — see eval/run.ts for why). */
import { createRequire } from 'node:module';
import type { Span } from '../src/detect.js';

const require = createRequire(import.meta.url);

interface Doc { people(): Sel; places(): Sel; organizations(): Sel }
interface Sel { out(f: 'offset'): Array<{ text: string; offset: { start: number; length: number } }> }

/** `compromise` (people / places / organizations). Offsets are UTF-16 positions in the input. */
export function compromiseLayer(): (text: string) => Span[] {
  const nlp = require('compromise') as (t: string) => Doc;
  return (text) => {
    const doc = nlp(text);
    const out: Span[] = [];
    for (const [sel, kind] of [[doc.people(), 'PERSON'], [doc.places(), 'LOCATION'], [doc.organizations(), 'ORG']] as const) {
      for (const m of sel.out('offset')) {
        const v = m.text.replace(/[.,;:!?]+$/, '');
        out.push({ start: m.offset.start, end: m.offset.start + v.length, kind, tier: 2, key: v });
      }
    }
    return out;
  };
}

/** `wink-nlp` with `wink-eng-lite-web-model`: its entities (no PERSON in the lite model; emails, dates, …). */
export function winkLayer(): ((text: string) => Span[]) | undefined {
  let nlp: { readDoc(t: string): { entities(): { each(f: (e: { out(a: unknown): unknown }) => void): void } }; its: Record<string, unknown> };
  try {
    const winkNLP = require('wink-nlp') as (m: unknown) => typeof nlp;
    nlp = winkNLP(require('wink-eng-lite-web-model'));
  } catch {
    return undefined;
  }
  return (text) => {
    const out: Span[] = [];
    nlp.readDoc(text).entities().each((e) => {
      const [start, end] = e.out(nlp.its.span) as [number, number];
      void start; void end;
      const value = e.out(nlp.its.value) as string;
      const type = e.out(nlp.its.type) as string;
      const at = text.indexOf(value);
      if (at >= 0) out.push({ start: at, end: at + value.length, kind: type === 'EMAIL' ? 'EMAIL' : type, tier: 2, key: value });
    });
    return out;
  };
}
