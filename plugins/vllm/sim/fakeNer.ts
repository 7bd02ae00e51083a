/**
 * The simulated model's named-entity answers. When a chat's system message asks for the people, organisations and
 * places named in the user text as a JSON list (what an NER client sends a real instruct model), the fake finds them
 * itself with a plain heuristic, the way a small model would be asked to: runs of capitalised words, not the word a
 * sentence happens to start with, typed by a few organisation, fund and place cues. It knows nothing of any caller's
 * answer key or rules: lower-case names, names that are also common words at a sentence start, and unusual
 * layouts are missed, as a weak model would miss them.
 */

/** An NER instruction: names people/organisations/places and asks for JSON. */
const ASKS_FOR_ENTITIES = /\b(?:person|people|names?)\b[\s\S]*\borgani[sz]ations?\b[\s\S]*\bJSON\b/i;

const ORG_LAST = new Set(['ltd', 'ltd.', 'limited', 'inc', 'inc.', 'llc', 'llp', 'plc', 'gmbh', 'ag', 'sa', 'bv', 'nv', 'ab', 'as', 'oy', 'srl', 'spa', 'corp', 'corp.',
  'corporation', 'company', 'co.', 'group', 'holdings', 'bank', 'university', 'college', 'school', 'hospital', 'clinic', 'surgery', 'trust', 'foundation', 'council',
  'institute', 'associates', 'solutions', 'systems', 'technologies', 'labs', 'partners', 'pharmacy', 'church', 'agency', 'ministry', 'society', 'centre', 'center']);
const ORG_FIRST = new Set(['university', 'bank', 'ministry', 'college', 'institute', 'hospital']);
const FUND_WORDS = new Set(['fund', 'capital', 'ventures', 'equity', 'investments']);
const PLACE_BEFORE = /\b(?:in|at|near|from|to|into|outside|visiting|based in|lives in|moved to)\s+$/i;
/** Capitalised for grammar or the calendar, not because they name anyone. */
const NOT_NAMES = new Set(('the a an this that these those there here i we you he she they it my our your his her their its if when while after before ' +
  'hi hello hey dear thanks thank please regards best kind cheers yes no ok okay sorry also and but or so then re fw fwd subject from to cc date ' +
  'monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december ' +
  'mon tue wed thu fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec today tomorrow yesterday note notes action minutes agenda ' +
  'mr mrs ms dr prof sir madam team all everyone met meet ask asked tell told ping call called spoke saw see email emailed send sent invite contact').split(' '));
const CONNECTORS = new Set(['van', 'von', 'der', 'den', 'de', 'da', 'di', 'du', 'del', 'la', 'le', 'bin', 'binti', 'al', 'of', 'y', 'ní', 'mac', '&']);

type Kind = 'PERSON' | 'ORG' | 'FUND' | 'LOCATION';
interface Word { text: string; start: number; end: number }

/** Nothing but spaces, quotes or an opening bracket between `at` and a sentence end (or the text's start). */
function sentenceStart(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && ' \t"“(\'*-'.includes(text[k])) k--;
  return k < 0 || '.!?:\n'.includes(text[k]);
}

const capitalised = (w: string) => /^\p{Lu}[\p{L}\p{M}'’.-]*$/u.test(w) && /\p{Ll}/u.test(w);

function entities(text: string): Array<{ text: string; type: Kind }> {
  const words: Word[] = [];
  for (const m of text.matchAll(/[\p{L}\p{M}&][\p{L}\p{M}'’.-]*/gu)) {
    const t = m[0].replace(/['’]s$/u, '').replace(/[.'’-]+$/u, '');
    if (t) words.push({ text: t, start: m.index, end: m.index + t.length });
  }
  const out = new Map<string, Kind>();
  for (let i = 0; i < words.length; i++) {
    if (!capitalised(words[i].text)) continue;
    // A run: capitalised words one space apart, with name particles between them ("Anna van der Berg", "Bank of Ireland").
    let j = i;
    while (j + 1 < words.length && text.slice(words[j].end, words[j + 1].start) === ' ') {
      const next = words[j + 1];
      if (capitalised(next.text)) { j++; continue; }
      if (CONNECTORS.has(next.text.toLowerCase()) && j + 2 < words.length && capitalised(words[j + 2].text) && text.slice(next.end, words[j + 2].start) === ' ') { j += 2; continue; }
      break;
    }
    let run = words.slice(i, j + 1);
    i = j;
    while (run.length && NOT_NAMES.has(run[0].text.toLowerCase())) run = run.slice(1);
    while (run.length && NOT_NAMES.has(run[run.length - 1].text.toLowerCase())) run = run.slice(0, -1);
    if (!run.length) continue;
    // One capitalised word opening a sentence is grammar as often as a name: a weak model leaves it.
    if (run.length === 1 && sentenceStart(text, run[0].start)) continue;
    const value = text.slice(run[0].start, run[run.length - 1].end);
    if (value.length < 2 || value.length > 200) continue;
    const lower = run.map((w) => w.text.toLowerCase());
    const kind: Kind = lower.some((w) => FUND_WORDS.has(w)) ? 'FUND'
      : ORG_LAST.has(lower[lower.length - 1]) || ORG_FIRST.has(lower[0]) ? 'ORG'
        : PLACE_BEFORE.test(text.slice(Math.max(0, run[0].start - 14), run[0].start)) && run.length <= 2 ? 'LOCATION' : 'PERSON';
    if (!out.has(value)) out.set(value, kind);
  }
  return [...out].map(([t, type]) => ({ text: t, type }));
}

/** The fake model's reply to an NER prompt (a JSON list as the prompt asks), or undefined for any other chat. The
 *  instruction is an earlier message (the system prompt), the text the last one (the fake's parsed request keeps
 *  each message's content only). */
export function fakeNerAnswer(messages: ReadonlyArray<{ content?: unknown }>, maxTokens = 800): string | undefined {
  if (messages.length < 2) return undefined;
  const text = messages[messages.length - 1].content;
  const asks = messages.slice(0, -1).some((m) => typeof m.content === 'string' && ASKS_FOR_ENTITIES.test(m.content));
  if (!asks || typeof text !== 'string') return undefined;
  // A real model stops at max_tokens: about eight tokens per listed entity.
  return JSON.stringify(entities(text).slice(0, Math.max(0, Math.floor(maxTokens / 8))));
}
