/** Descriptive phrases that identify someone without naming them ("the CFO of [ORG_1]", "[ORG_2]'s founder"): the
 *  old tool's `descriptive_flags`. Found in the scrubbed text, so a flag's `span` shows placeholders, never a value.
 *  They are flagged, not replaced: the reader decides whether the role gives the person away. */
const ROLE = String.raw`(?:(?:former|new|acting|interim|deputy|founding|senior|executive|managing|general|lead)\s+)*(?:CEO|CFO|COO|CTO|CIO|CMO|chief\s+\w+\s+officer|co-?founder|founder|chair(?:man|woman|person)?|president|vice\s+president|VP(?:\s+of\s+\w+)?|treasurer|secretary|general\s+counsel|counsel|partner|director|head\s+of\s+\w+|owner|principal|trustee)`;
const ENTITY = String.raw`\[(?:ORG|FUND)_\d+\]`;
const PHRASES = [
  new RegExp(String.raw`\b(?:the|our|their|its|his|her)\s+${ROLE}\s+(?:of|at|for)\s+${ENTITY}`, 'gi'),
  new RegExp(String.raw`${ENTITY}['’]s\s+${ROLE}\b`, 'gi'),
];

export interface DescriptiveFlag { item: string; span: string; action: 'flagged' }

export function descriptiveFlags(items: Array<{ id: string; scrubbed_text: string }>): DescriptiveFlag[] {
  const out: DescriptiveFlag[] = [];
  for (const it of items) {
    const found: Array<{ at: number; span: string }> = [];
    for (const re of PHRASES) for (const m of it.scrubbed_text.matchAll(re)) found.push({ at: m.index, span: m[0] });
    found.sort((a, b) => a.at - b.at);
    for (const f of found) out.push({ item: it.id, span: f.span, action: 'flagged' });
  }
  return out;
}
