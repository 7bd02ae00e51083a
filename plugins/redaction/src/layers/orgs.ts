import type { Span } from '../detect.js';

/** Organisations named by what they are rather than a company suffix: "University of Limerick", "St. Luke's Clinic",
 *  "Wexham Park Hospital", "Beechwood Surgery". Bounded repeats of single words: linear. */
const KIND_WORD = 'University|College|Hospital|Clinic|Surgery|Practice|Pharmacy|Nursery|School|Academy|Institute|Church|Parish|parish|Convent|Centre|Center|Tribunal|Council|Trust|Foundation|Fundação|Stichting|Studio|Bakery|Café|Cafe|Hotel|Hotell';
const AFTER = new RegExp(`(?<![\\p{L}])(?:St\\.? )?(?:\\p{Lu}[\\p{L}\\p{M}'’-]+ ){1,3}(?:${KIND_WORD})\\b`, 'gu');
const BEFORE = new RegExp(`(?<![\\p{L}])(?:${KIND_WORD}) (?:of|do|da|de|di) (?:\\p{Lu}[\\p{L}\\p{M}'’-]+)(?: \\p{Lu}[\\p{L}\\p{M}'’-]+){0,2}`, 'gu');

/** Both patterns need one of the kind words: most texts have none, and the patterns try every capitalised word. */
const ANY_KIND = new RegExp(`(?:${KIND_WORD})`);

export function detectOrgs(text: string): Span[] {
  const out: Span[] = [];
  if (!ANY_KIND.test(text)) return out;
  for (const re of [AFTER, BEFORE]) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (/^(?:The|A|An|Our|Your|My|This|That) /.test(m[0]) && m[0].split(' ').length === 2) continue; // "The Hospital"
      out.push({ start: m.index, end: m.index + m[0].length, kind: 'ORG', tier: 2, key: m[0] });
    }
  }
  return out;
}
