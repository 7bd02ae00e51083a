import type { Span } from '../detect.js';
import { fold } from '../fold.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every other occurrence of a name already found in the same request, in any case or accents ("Siobhán Ní Bhriain"
 *  → "siobhán ní bhriain", "ÅSA LINDQVIST"). Whole values only (no name parts), so each placeholder still restores
 *  exactly the value it replaced. `fold` keeps positions, so offsets in the folded text are offsets in the text. */
export function detectSeen(text: string, seen: Array<{ value: string; kind: string }>): Span[] {
  if (!seen.length) return [];
  const folded = fold(text);
  const out: Span[] = [];
  for (const { value, kind } of seen) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escape(fold(value)).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'gu');
    for (let m = re.exec(folded); m; m = re.exec(folded)) out.push({ start: m.index, end: m.index + m[0].length, kind, tier: 2 });
  }
  return out;
}
