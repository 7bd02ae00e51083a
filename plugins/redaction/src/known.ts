import type { Span } from './detect.js';
import { fold } from './fold.js';

export interface KnownEntities {
  persons?: string[];
  orgs?: string[];
  funds?: string[];
  emails?: string[];
  locations?: string[];
}

const KIND: Record<keyof KnownEntities, string> = { persons: 'PERSON', orgs: 'ORG', funds: 'FUND', emails: 'EMAIL', locations: 'LOCATION' };
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every occurrence of a caller-declared entity (case/diacritic-insensitive, with possessives; for people also each
 *  name part of three letters or more). `key` ties the parts back to the full name so they share a placeholder. */
export function detectKnown(text: string, known: KnownEntities | undefined): Span[] {
  if (!known) return [];
  const folded = fold(text);
  const out: Span[] = [];
  for (const [cat, values] of Object.entries(known) as Array<[keyof KnownEntities, string[] | undefined]>) {
    for (const raw of values ?? []) {
      const value = raw.trim();
      if (!value) continue;
      const variants = [value];
      if (cat === 'persons') variants.push(...value.split(/\s+/).filter((p) => p.replace(/[^\p{L}]/gu, '').length >= 3));
      for (const v of variants) {
        const re = new RegExp(`(?<![\\p{L}\\p{N}])${escape(fold(v)).replace(/\s+/g, '\\s+')}(?:['’]s)?(?![\\p{L}\\p{N}])`, 'gu');
        for (let m = re.exec(folded); m; m = re.exec(folded)) {
          out.push({ start: m.index, end: m.index + m[0].length, kind: KIND[cat], tier: 2, key: value });
        }
      }
    }
  }
  return out;
}
