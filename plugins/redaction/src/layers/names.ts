import type { Span } from '../detect.js';
import { isEnglishWord, isKnownName, NOT_A_NAME } from './lexicon.js';

/**
 * Hand-written name rules for real text, beyond the Title-Case runs of detect.ts: any script's capitals (Ł, Ő, Ç),
 * sentence-initial names ("Joyce reported…"), possessives, ALL CAPS, lower case in chat, initials, hyphenated names and
 * particles ("van der", "Ní", "bin", "ap"). A word is a name candidate when it is not a common English word, or when a
 * cue says so (a title, a greeting, a speaker label, "ask …"). One pass over the words: linear in the input.
 */

type Shape = 'title' | 'caps' | 'lower' | 'initial' | 'other';
interface Tok { text: string; base: string; start: number; end: number; shape: Shape; w: WordFacts }

const WORD = /\p{Lu}\.(?=\s)|[\p{L}\p{M}][\p{L}\p{M}'’-]*/gu;
const TITLES = new Set(['mr', 'mrs', 'ms', 'mx', 'miss', 'dr', 'prof', 'professor', 'sister', 'fr', 'father', 'rev', 'adv', 'herr', 'frau', 'sr', 'sra', 'dra', 'khun', 'maître', 'señora', 'señor',
  'mme', 'mlle', 'sir', 'dame', 'lady', 'lord', 'hab', 'nurse', 'uncle', 'aunt', 'auntie']);
const PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'da', 'dos', 'das', 'do', 'di', 'du', 'del', 'della', 'le', 'la', 'bin', 'binti', 'bint', 'ibn', 'al', 'el', 'ní', 'nic', 'ni', 'ó', 'mac', 'mc', 'ap', 'ter', 'ten', 'y', 'st']);
/** Words after which the next word is someone's name, even in lower case chat ("ask tomasz", "thanks Zhang Wei"). */
const CUES = new Set(['hi', 'hey', 'heyy', 'hello', 'hallo', 'hej', 'hola', 'olá', 'ciao', 'dear', 'thanks', 'thank', 'thx', 'ty', 'cheers', 'congrats', 'welcome', 'np', 'sorry', 'bye',
  'ask', 'asked', 'ping', 'pinged', 'tell', 'told', 'cc', 'with', 'w', 'meet', 'met', 'call', 'called', 'email', 'emailed', 'text', 'texted', 'from', 'by', 'for', 'and', 'or', 'to', 'is', 'me', 'mum', 'son', 'daughter',
  'wife', 'husband', 'sister', 'brother', 'mother', 'father', 'partner', 'colleague', 'manager', 'boss', 'named', 'called', 'via', 'legend', 'like']);
/** Speaker labels that name a role, not a person. */
const ROLES = new Set(['speaker', 'agent', 'customer', 'caller', 'host', 'interviewer', 'candidate', 'facilitator', 'q', 'a', 'audience', 'member', 'internal', 'note', 'approver', 'action',
  'decisions', 'attendees', 'present', 'apologies', 'subject', 'from', 'to', 'sent', 'cc', 'name', 'pt', 'patient', 'client', 'gp', 'contact', 'tel', 'phone', 'email']);

const VOWEL = /[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿąęėįųůőű]/giu;

function shapeOf(w: string): Shape {
  if (/^\p{Lu}\.$/u.test(w)) return 'initial';
  if (/^\p{Lu}[\p{Lu}\p{M}'’-]+$/u.test(w)) return 'caps';
  if (/^\p{Lu}[\p{Ll}\p{M}]/u.test(w) || /^\p{Lu}['’]\p{Lu}\p{Ll}/u.test(w)) return 'title';
  if (/^\p{Ll}/u.test(w)) return 'lower';
  return 'other';
}

const baseOf = (w: string) => w.replace(/['’]s$/u, '').replace(/[-'’]+$/u, '');
/** Not an ordinary word: neither common English, a product/role word, nor too short to mean anything. */
function unusual(base: string): boolean {
  const lower = base.toLowerCase();
  if (lower.length < 2 || NOT_A_NAME.has(lower) || TITLES.has(lower) || PARTICLES.has(lower)) return false;
  if (isEnglishWord(lower)) return false;
  // Hyphenated: every part must be unusual or a known name ("Odd-Erik" yes, "Follow-up" no).
  const parts = lower.split('-').filter(Boolean);
  if (parts.length > 1) return parts.some((p) => isKnownName(p)) || !parts.some((p) => isEnglishWord(p));
  // Contractions ("We're", "You'll") and elongations ("youuu") are words, not names.
  if (/['’](?:re|ll|ve|d|m|t)$/u.test(lower) || /(\p{L})\1\1/u.test(lower)) return false;
  return true;
}
const named = (base: string) => base.split('-').every((p) => isKnownName(p)) && !NOT_A_NAME.has(base.toLowerCase());

/** What the rules ask of a word, worked out once per distinct word: the same few thousand words come back in every
 *  text, and each question lower-cased the word and looked it up in the lexicons again. Bounded: cleared when full. */
interface WordFacts { base: string; lower: string; textLower: string; shape: Shape; unusual: boolean; named: boolean; english: boolean }
const facts = new Map<string, WordFacts>();
function factsOf(t: string): WordFacts {
  let f = facts.get(t);
  if (!f) {
    if (facts.size >= 50_000) facts.clear();
    const base = baseOf(t);
    f = { base, lower: base.toLowerCase(), textLower: t.toLowerCase(), shape: shapeOf(t), unusual: unusual(base), named: named(base), english: isEnglishWord(base) };
    facts.set(t, f);
  }
  return f;
}

export function detectNames(text: string): Span[] {
  const toks: Tok[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m; m = WORD.exec(text)) {
    const t = m[0].replace(/[-'’]+$/u, '');
    if (!t) continue;
    const w = factsOf(t);
    toks.push({ text: t, base: w.base, start: m.index, end: m.index + t.length, shape: w.shape, w });
  }
  const isName = new Uint8Array(toks.length);
  const gap = (i: number) => text.slice(toks[i - 1].end, toks[i].start);
  const sentenceStart = (i: number) => i === 0 || /(?:^|[.!?\n:\]>—–-]|^\s*["“(])\s*$/u.test(gap(i)) && !/^\s*$/.test(gap(i)) || /\n/.test(gap(i));
  const allCaps = (i: number) => {
    const { base: b, w } = toks[i];
    if (/^\s*[:#]?\s*\d/.test(text.slice(toks[i].end, toks[i].end + 4))) return false; // "PESEL 9309…": a label
    if (!(toks[i].shape === 'caps' && b.length >= 3)) return false;
    if (w.named) return true;
    const v = (b.match(VOWEL) ?? []).length;
    return v >= 2 && v / b.length >= 0.3 && w.unusual;
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const prev = i > 0 ? toks[i - 1] : undefined;
    const prevLower = prev?.w.textLower ?? '';
    const tight = prev ? /^[ \t]{1,2}$|^\.[ \t]$/.test(gap(i)) : false;
    const cued = (tight && (TITLES.has(prevLower) || CUES.has(prevLower))) || (t.start > 0 && text[t.start - 1] === '@');
    const label = /^[ \t]*:/.test(text.slice(t.end, t.end + 3)) && (i === 0 || /\n|\]\s*$|^\s*$/.test(gap(i))) && !ROLES.has(t.w.lower);
    let yes = false;
    if (t.shape === 'title') {
      yes = t.w.unusual || (t.w.named && !sentenceStart(i)) || (cued && TITLES.has(prevLower) && !NOT_A_NAME.has(t.w.lower)) || (label && !t.w.english);
    } else if (t.shape === 'caps') {
      yes = allCaps(i) || (cued && TITLES.has(prevLower) && t.base.length >= 3);
    } else if (t.shape === 'lower') {
      // "sanne can you…", "rocío's in": an unusual word someone does something.
      // Only an unusual word can act: most lower-case words are skipped before the look-ahead.
      const acts = () => /^(?:['’]s\b|\s+(?:can|could|did|said|says|is|was|has|had|will|would|thinks|wants|asked|sent|found|does|needs|and\s+i)\b)/u.test(text.slice(t.end, t.end + 12));
      yes = (t.w.named && !t.w.english) || (t.w.unusual && t.base.length >= 3 && (cued || acts())) || (label && t.w.unusual);
    }
    if (yes) isName[i] = 1;
  }
  // Grow each name over its neighbours: initials and particles before, capitalised or unusual words after
  // ("J. van der Merwe", "Nurul Aisyah binti Hassan", "joris van der berg", "Park Ji-woo").
  const spans: Span[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (!isName[i]) continue;
    let a = i;
    let b = i;
    const joins = (k: number) => k > 0 && /^[ \t]{1,2}$|^\.[ \t]$|^\. $/.test(gap(k));
    while (a > 0 && joins(a) && (toks[a - 1].shape === 'initial' || PARTICLES.has(toks[a - 1].w.textLower) || (toks[a].shape !== 'lower' && toks[a - 1].shape === toks[a].shape && (toks[a - 1].w.unusual || toks[a - 1].w.named)))) a--;
    while (a < i && PARTICLES.has(toks[a].w.textLower) && (a === 0 || toks[a - 1].shape !== 'initial')) a++;
    for (;;) {
      const n = b + 1;
      if (n >= toks.length || !joins(n) || /['’]s$/u.test(toks[b].text)) break;
      const w = toks[n];
      const p = PARTICLES.has(w.w.textLower);
      if (p && n + 1 < toks.length && joins(n + 1) && (isName[n + 1] || toks[n + 1].shape === 'title' || (toks[b].shape === 'lower' && toks[n + 1].w.unusual))) { b = n + 1; continue; }
      if (isName[n] || (w.shape === toks[i].shape && w.shape !== 'lower' && (w.w.unusual || w.w.named)) || (w.shape === 'title' && toks[i].shape === 'title' && w.w.named)) { b = n; continue; }
      break;
    }
    for (let k = a; k <= b; k++) isName[k] = 0;
    const start = toks[a].start;
    const end = toks[b].end;
    const before = text.slice(Math.max(0, start - 14), start);
    const kind = /\b(?:in|near|from|visit(?:ing)?|outside|to)\s+(?:the\s+)?$/i.test(before) && b === a ? 'LOCATION' : 'PERSON';
    spans.push({ start, end, kind, tier: 2, key: text.slice(start, end).replace(/['’]s$/u, '') });
    i = b;
  }
  return spans;
}

/** A span of the base rules that is only ordinary words ("Officer", "Senior Engineer", "Refund"): not a name. */
export function isOrdinaryWords(value: string): boolean {
  const ws = value.replace(/['’]s$/u, '').split(/[\s]+/).filter(Boolean);
  if (ws.length > 1) return false; // several capitalised words mid-sentence are a name more often than not ("Skyline Data")
  return ws.every((w) => {
    const b = baseOf(w).replace(/[.]$/, '');
    const l = b.toLowerCase();
    return b.length <= 2 || NOT_A_NAME.has(l) || TITLES.has(l) || (isEnglishWord(l) && !isKnownName(l));
  });
}
