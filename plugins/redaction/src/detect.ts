import { findPhoneNumbersInText } from 'libphonenumber-js';
import { isValidIBAN, electronicFormatIBAN } from 'ibantools';
import validator from 'validator';

/** A detected sensitive span. Tier 1 = secrets/financial ids (dropped or rejected); tier 2 = identities (placeholders). */
export interface Span {
  start: number;
  end: number;
  kind: string;
  tier: 1 | 2;
  /** Value used to make placeholders stable (same person → same placeholder). */
  key?: string;
}

/** Libraries that can be switched off, to measure what each one contributes (`npm run eval:redaction`). */
export type DetectorLibrary = 'libphonenumber' | 'ibantools' | 'validator' | 'phone-pattern' | 'iban-mod97';
export interface DetectOptions { without?: ReadonlySet<DetectorLibrary> }

export const TIER1_KINDS = ['CARD', 'IBAN', 'SSN', 'ROUTING', 'ACCOUNT', 'CRYPTO', 'SECRET', 'PASSWORD'] as const;

const digits = (s: string) => s.replace(/\D/g, '');

function luhn(num: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = num.length - 1; i >= 0; i--) {
    let d = num.charCodeAt(i) - 48;
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
    dbl = !dbl;
  }
  return num.length >= 13 && sum % 10 === 0;
}

function abaChecksum(n: string): boolean {
  if (!/^\d{9}$/.test(n)) return false;
  const d = n.split('').map(Number);
  return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 === 0;
}

/** ISO 13616 check digits: move the first four characters to the end, letters → 10..35, remainder 97 must be 1. */
function ibanMod97(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false;
  let rem = 0;
  for (const ch of iban.slice(4) + iban.slice(0, 4)) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

function validSsn(s: string): boolean {
  const [a, b, c] = [s.slice(0, 3), s.slice(3, 5), s.slice(5)];
  return a !== '000' && a !== '666' && a[0] !== '9' && b !== '00' && c !== '0000';
}

function* regexSpans(text: string, re: RegExp, kind: string, tier: 1 | 2, accept: (m: RegExpExecArray) => boolean = () => true, group = 0): Generator<Span> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!accept(m)) continue;
    const value = m[group];
    const start = m.index + m[0].indexOf(value);
    yield { start, end: start + value.length, kind, tier, key: value };
  }
}

/** PEM private keys. The end marker is looked for once per begin marker from where the last search stopped (a lazy
 *  `[\s\S]*?` ran to the end of the text for every begin marker without an end: quadratic). */
function* privateKeySpans(text: string): Generator<Span> {
  const begin = /\b-----BEGIN [A-Z ]*PRIVATE KEY-----/g;
  const end = /-----END [A-Z ]*PRIVATE KEY-----/g;
  for (let b = begin.exec(text); b; b = begin.exec(text)) {
    end.lastIndex = b.index + b[0].length;
    const e = end.exec(text);
    if (!e) return; // no end marker after this one, so none after any later begin either
    const value = text.slice(b.index, e.index + e[0].length);
    yield { start: b.index, end: e.index + e[0].length, kind: 'SECRET', tier: 1, key: value };
    begin.lastIndex = e.index + e[0].length;
  }
}

/** Tier 1: values that must never leave, whatever the context. Checksums keep false positives down. */
export function detectTier1(text: string, o: DetectOptions = {}): Span[] {
  const out: Span[] = [];
  out.push(...regexSpans(text, /\b(?:\d[ -]?){12,18}\d\b/g, 'CARD', 1, (m) => luhn(digits(m[0])) && digits(m[0]).length >= 13 && digits(m[0]).length <= 19));
  // ibantools also checks each country's BBAN layout; a value that only passes mod-97 is still somebody's account.
  out.push(...regexSpans(text, /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g, 'IBAN', 1, (m) => {
    const e = electronicFormatIBAN(m[0]) ?? '';
    return (!o.without?.has('ibantools') && isValidIBAN(e)) || (!o.without?.has('iban-mod97') && ibanMod97(e));
  }));
  out.push(...regexSpans(text, /\b(\d{3})-(\d{2})-(\d{4})\b/g, 'SSN', 1, (m) => validSsn(m[1] + m[2] + m[3])));
  out.push(...regexSpans(text, /\b(?:SSN|social security(?: number)?|SIN|national (?:id|insurance)(?: number)?)\s*(?:(?:#|no\.?|number)\s*)?(?:[:=]\s*)?([A-Z]{0,2}\d[\d -]{6,12}\d[A-Z]?)\b/gi, 'SSN', 1, () => true, 1));
  out.push(...regexSpans(text, /\b(?:routing|ABA|RTN)\s*(?:(?:number|no\.?|#)\s*)?(?:[:=]\s*)?(\d{9})\b/gi, 'ROUTING', 1, (m) => abaChecksum(m[1]), 1));
  out.push(...regexSpans(text, /\b\d{9}\b/g, 'ROUTING', 1, (m) => abaChecksum(m[0]) && /\b(routing|aba|wire|bank|transit)\b/i.test(text.slice(Math.max(0, m.index - 40), m.index))));
  out.push(...regexSpans(text, /\b(?:account|acct|a\/c)\s*(?:(?:number|no\.?|#)\s*)?(?:[:=]\s*)?(\d[\d-]{5,20}\d)\b/gi, 'ACCOUNT', 1, () => true, 1));
  out.push(...regexSpans(text, /\b(?:bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b/g, 'CRYPTO', 1, (m) => /\d/.test(m[0]) && /[a-z]/i.test(m[0])));
  out.push(...regexSpans(text, /\b0x[a-fA-F0-9]{40}\b/g, 'CRYPTO', 1));
  out.push(...regexSpans(text, /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g, 'SECRET', 1));
  out.push(...privateKeySpans(text));
  out.push(...regexSpans(text, /\b(?:api[_ -]?key|secret(?:[_ -]?key)?|access[_ -]?token|auth[_ -]?token|bearer|client[_ -]?secret)\s*[:=]\s*["']?([A-Za-z0-9_\-./+=]{12,})/gi, 'SECRET', 1, () => true, 1));
  out.push(...regexSpans(text, /\b(?:password|passwd|pwd|passcode|passphrase|pin(?: code)?)\s*(?:is|was|[:=])\s*["']?([^\s"',;]{3,64})/gi, 'PASSWORD', 1, () => true, 1));
  return out;
}

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec';
// Street designators: the USPS suffix list (Publication 28, appendix C1) plus a few European ones.
const STREET = ['Alley', 'Annex', 'Arcade', 'Avenue', 'Ave', 'Bayou', 'Beach', 'Bend', 'Bluffs?', 'Bottom', 'Boulevard', 'Blvd', 'Branch', 'Bridge', 'Brooks?', 'Burgs?',
  'Bypass', 'Camp', 'Canyon', 'Cape', 'Causeway', 'Centers?', 'Circles?', 'Cir', 'Cliffs?', 'Club', 'Commons?', 'Corners?', 'Course', 'Courts?', 'Ct', 'Coves?', 'Creek',
  'Crescent', 'Crest', 'Crossing', 'Crossroad', 'Curve', 'Dale', 'Dam', 'Divide', 'Drives?', 'Dr', 'Estates?', 'Expressway', 'Extensions?', 'Falls?', 'Ferry', 'Fields?',
  'Flats?', 'Fords?', 'Forest', 'Forges?', 'Forks?', 'Fort', 'Freeway', 'Gardens?', 'Gateway', 'Glens?', 'Greens?', 'Groves?', 'Harbors?', 'Haven', 'Heights', 'Highway', 'Hwy',
  'Hills?', 'Hollow', 'Inlet', 'Islands?', 'Isle', 'Junctions?', 'Keys?', 'Knolls?', 'Lakes?', 'Land', 'Landing', 'Lane', 'Ln', 'Lights?', 'Loaf', 'Locks?', 'Lodge', 'Loop',
  'Mall', 'Manors?', 'Meadows?', 'Mews', 'Mills?', 'Mission', 'Motorway', 'Mount', 'Mountains?', 'Neck', 'Orchard', 'Oval', 'Overpass', 'Parks?', 'Parkways?', 'Pkwy', 'Pass',
  'Passage', 'Path', 'Pike', 'Pines?', 'Place', 'Pl', 'Plains?', 'Plaza', 'Points?', 'Ports?', 'Prairie', 'Radial', 'Ramp', 'Ranch', 'Rapids?', 'Rest', 'Ridges?', 'River',
  'Roads?', 'Rd', 'Route', 'Row', 'Rue', 'Run', 'Shoals?', 'Shores?', 'Skyway', 'Springs?', 'Spurs?', 'Squares?', 'Sq', 'Station', 'Stravenue', 'Stream', 'Streets?', 'St',
  'Summit', 'Terrace', 'Throughway', 'Trace', 'Track', 'Trafficway', 'Trail', 'Trailer', 'Tunnel', 'Turnpike', 'Underpass', 'Unions?', 'Valleys?', 'Viaduct', 'Views?',
  'Villages?', 'Ville', 'Vista', 'Walks?', 'Wall', 'Ways?', 'Wells?', 'Close', 'Strasse', 'Straße', 'Weg', 'Platz', 'Gasse'].join('|');
const ORG_SUFFIX = 'Inc|Inc\\.|LLC|L\\.L\\.C\\.|Ltd|Ltd\\.|Limited|Corp|Corp\\.|Corporation|Company|Co\\.|GmbH|AG|SA|S\\.A\\.|plc|PLC|LLP|LP|Group|Holdings|Partners|Capital|Bank|Trust|Foundation|Associates|Industries|Technologies|Systems|Solutions|Labs|Ventures|Fund|Advisors|Management|Bancorp|University|Institute|Agency';
const FUND_WORDS = 'Fund|Capital|Ventures|Partners|Equity|Investments|Asset Management|Holdings';

/** Words that are capitalised for grammar, not because they name someone. */
const COMMON = new Set(('the a an and or but if then so to of in on at by for with from as is are was were be been it its this that these those ' +
  'i we you he she they me us him her them my our your his their please thanks thank hello hi dear regards best sincerely yes no not ' +
  'monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday note meeting call email phone contact send sent ' +
  'january february march april may june july august september october november december ' +
  'mr mrs ms miss dr prof sir madam team account invoice contract project report update payment order customer client office ' +
  'street avenue road there here what when where who why how let can could would should will shall must may might also just ' +
  'after before during about above below under over between into through per via re fw fwd subject attached see find ' +
  // Sentence-initial verbs that precede names ("Ask Maria…", "Ping Tom…").
  'ask tell ping invite meet remind cc bcc forward introduce message text reply write thank welcome congratulate notify inform ' +
  'summary notes agenda action minutes update fyi urgent reminder').split(' '));

/** Grammar words that are also given names or surnames: kept when they stand next to another capitalised name
 *  ("May Franey", "Selmer Will"), dropped when alone (a sentence-initial "May I…"). */
const NAME_HOMOGRAPHS = new Set(['will', 'may', 'june', 'april', 'august', 'grace', 'hope', 'mark', 'bill']);
/** Sentence openers that take a comma like a name does ("Okay, can you…") but address nobody. */
const NOT_VOCATIVE = new Set(('ok okay now well hey sorry great sure also anyway actually so then yes no thanks team everyone all guys folks hi hello ' +
  'however meanwhile again finally otherwise alright right quick btw fyi honestly seriously first second next lastly besides basically').split(' '));
/** A request addressed to someone: "Hellen, can you forward…". */
const VOCATIVE_AFTER = /^,\s+(?:can|could|would|will|please|do|did|are|have|is|when|what|where|any|just)\b/i;

// O'Keefe, D'Amore, MacGyver, DuBuque, Smith-Jones, Zoë.
const NAME_WORD = "(?:[A-Z]['’])?[A-Z][a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+)*(?:['’-][A-Z]?[a-zà-ÿ]+)*";
const ROMAN = '(?:I{1,3}|IV|VI{0,3}|IX|X)';
const TITLE = '(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Rev|Hon)\\.?';
/** A title as a word of its own ("Dr Smith"), not the start of one ("Drop", "Draft", "Missing"). */
const TITLED = new RegExp(`^${TITLE}\\s`);

// Built once, not per call or per run (compiling them again for every capitalised run was most of this step's cost).
const RUN = new RegExp(`(?:${TITLE}\\s+)?${NAME_WORD}(?:\\s+(?:(?:de|van|von|der|den|da|di|le|la|du|bin|al|O'|Mc)\\s+)?${NAME_WORD}){0,3}`, 'g');
const TITLE_ONLY = new RegExp(`^${TITLE}$`);
const TITLE_LEAD = new RegExp(`^${TITLE}\\s+`);
const ORG_TAIL = new RegExp(`^,?\\s*(?:${ORG_SUFFIX})\\b(?:\\s+${ROMAN}\\b)?`);
const FUND_END = new RegExp(`\\b(?:${FUND_WORDS})$`);
const ROMAN_AFTER = new RegExp(`^\\s+${ROMAN}\\b`);
const FUND_WORD = new RegExp(`\\b(?:${FUND_WORDS})\\b`);
const ORG_END = new RegExp(`\\b(?:${ORG_SUFFIX})$`);
const STREET_ADDRESS = new RegExp(`\\b\\d{1,6}[A-Za-z]?(?:\\s+(?:[A-Z][A-Za-z'.-]*|\\d{1,4}(?:st|nd|rd|th))){1,4}\\s+(?:${STREET})\\b(?:(?<=\\b(?:St|Ave|Rd|Dr|Blvd|Ln|Ct|Pl|Sq|Hwy|Pkwy|Cir))\\.)?(?:,?\\s+(?:Apt\\.?|Suite|Unit|#)\\s*[A-Za-z0-9-]+)?`, 'g');
const DATES = new RegExp(`\\b(?:\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{2,4}|(?:${MONTHS})\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}|\\d{1,2}(?:st|nd|rd|th)? (?:${MONTHS})\\.?,? \\d{4})\\b`, 'g');
const ACRONYM_ORG = new RegExp(`\\b[A-Z][A-Z0-9&]{1,11}(?:\\s+[A-Z][A-Za-z0-9&]*){0,2}\\s+(?:${ORG_SUFFIX})(?![A-Za-z])`, 'g');

function capitalisedRuns(text: string): Array<{ start: number; end: number; words: string[] }> {
  const re = RUN;
  re.lastIndex = 0;
  const out: Array<{ start: number; end: number; words: string[] }> = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let start = m.index;
    let words = m[0].split(/\s+/);
    // Drop leading grammar words ("Please John Smith" → "John Smith").
    const keep = (w: string) => words.length > 1 && NAME_HOMOGRAPHS.has(w.toLowerCase());
    while (words.length && COMMON.has(words[0].toLowerCase().replace(/\.$/, '')) && !TITLE_ONLY.test(words[0]) && !keep(words[0])) {
      start += words[0].length + (text.slice(start + words[0].length).match(/^\s+/)?.[0].length ?? 0);
      words = words.slice(1);
    }
    while (words.length && COMMON.has(words[words.length - 1].toLowerCase()) && !keep(words[words.length - 1])) words = words.slice(0, -1);
    if (!words.length) continue;
    const end = start + words.join(' ').length;
    out.push({ start, end: Math.min(end, m.index + m[0].length), words });
  }
  return out;
}

/** The run at `pos` begins the text or follows a sentence end (whitespace between). Scans back over the whitespace
 *  only (a regex anchored at `$` over the text before it was tried from every position: quadratic). */
function startsSentence(text: string, pos: number): boolean {
  let i = pos - 1;
  while (i >= 0 && /\s/.test(text[i])) {
    if (text[i] === '\n') return true;
    i--;
  }
  return i < 0 || '.!?:'.includes(text[i]);
}

/** Tier 2: identities replaced by numbered placeholders. Rules only (no model): checksums and libraries for
 *  structured values, capitalisation and cue words for names, organisations and places. */
export function detectTier2(text: string, opts: { bucketDates?: boolean; bucketAmounts?: boolean } & DetectOptions = {}): Span[] {
  const out: Span[] = [];
  const use = (lib: DetectorLibrary) => !opts.without?.has(lib);
  for (const m of regexSpans(text, /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}/g, 'EMAIL', 2, (x) => !use('validator') || validator.isEmail(x[0]))) out.push({ ...m, key: m.key!.toLowerCase() });
  for (const p of (use('libphonenumber') ? findPhoneNumbersInText(text, { defaultCountry: 'US', extended: false } as never) : []) as Array<{ startsAt: number; endsAt: number; number: { number: string } }>) {
    out.push({ start: p.startsAt, end: p.endsAt, kind: 'PHONE', tier: 2, key: p.number.number });
  }
  // Phone-like digit groups libphonenumber rejects (fictional 555 numbers, extensions) are still someone's number.
  if (use('phone-pattern')) out.push(...regexSpans(text, /(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]\d{3,4}[\s.-]\d{3,4}(?:\s*(?:x|ext\.?)\s*\d{1,6})?\b/g, 'PHONE', 2, (m) => digits(m[0]).length >= 9 && digits(m[0]).length <= 16));
  out.push(...regexSpans(text, /\b(?:\d{1,3}\.){3}\d{1,3}\b/g, 'IP', 2, (m) => !use('validator') || validator.isIP(m[0])));
  // "260 E 11th Street": ordinals are street names too; the designator must end at a word boundary ("Pl" ≠ "Plains"),
  // and only an abbreviation takes the period after it (a sentence's full stop is not part of the address).
  out.push(...regexSpans(text, STREET_ADDRESS, 'LOCATION', 2));
  out.push(...regexSpans(text, /\b(?:Apt\.?|Suite|Unit)\s+\d+[A-Z]?\b/g, 'LOCATION', 2));
  out.push(...regexSpans(text, /\b\d{5}(?:-\d{4})?\b/g, 'LOCATION', 2, (m) => /\b[A-Z]{2}\s*$/.test(text.slice(Math.max(0, m.index - 6), m.index)) || /,\s*$/.test(text.slice(Math.max(0, m.index - 3), m.index))));
  out.push(...regexSpans(text, /https?:\/\/[^\s)>\]]+/g, 'URL', 2));
  if (opts.bucketDates) {
    out.push(...regexSpans(text, DATES, 'DATE', 2));
  }
  if (opts.bucketAmounts) {
    out.push(...regexSpans(text, /(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|billion|thousand))?|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|CHF|dollars|euros|pounds)\b)/gi, 'AMOUNT', 2));
  }
  // An acronym before a company suffix ("ACME Corp", "KPMG LLP"): capitalised runs need lower-case letters, so these
  // would pass as two ordinary words.
  out.push(...regexSpans(text, ACRONYM_ORG, 'ORG', 2));
  // Names, organisations, funds and places from capitalised runs and cue words.
  for (const run of capitalisedRuns(text)) {
    const phrase = text.slice(run.start, run.end);
    const after = text.slice(run.end, run.end + 40);
    const before = text.slice(Math.max(0, run.start - 30), run.start);
    const orgTail = ORG_TAIL.exec(after) ?? (FUND_END.test(phrase) ? ROMAN_AFTER.exec(after) : null);
    const fund = FUND_WORD.test(phrase) || (orgTail && /Fund|Capital|Ventures|Partners/.test(orgTail[0]));
    if (orgTail || ORG_END.test(phrase)) {
      const end = orgTail ? run.end + orgTail[0].length : run.end;
      out.push({ start: run.start, end, kind: fund ? 'FUND' : 'ORG', tier: 2, key: text.slice(run.start, end) });
      continue;
    }
    const isPlaceCue = /\b(?:in|at|near|from|to|visit(?:ing|ed)?|based in|located in|moved to|lives in|office in|city of)\s*$/i.test(before);
    const sentenceStart = startsSentence(text, run.start);
    const vocative = VOCATIVE_AFTER.test(after) && !NOT_VOCATIVE.has(phrase.toLowerCase());
    const titled = TITLED.test(phrase);
    if (run.words.length === 1 && sentenceStart && !vocative && !titled) continue; // "Thanks", "Great" …
    out.push({ start: run.start, end: run.end, kind: isPlaceCue && run.words.length <= 3 && !titled ? 'LOCATION' : 'PERSON', tier: 2, key: phrase.replace(TITLE_LEAD, '') });
  }
  return out;
}

/** Keep the best span where they overlap: tier 1 wins, then the longer span. */
export function resolveOverlaps(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.tier - b.tier || (b.end - b.start) - (a.end - a.start) || a.start - b.start);
  const kept: Span[] = [];
  // Characters already covered by a kept span (comparing each span with every kept one was quadratic in their count).
  let covered = new Uint8Array(0);
  for (const s of sorted) {
    if (s.end > covered.length) { const grown = new Uint8Array(Math.max(s.end, covered.length * 2)); grown.set(covered); covered = grown; }
    let free = true;
    for (let i = s.start; i < s.end; i++) if (covered[i]) { free = false; break; }
    if (!free) continue;
    covered.fill(1, s.start, s.end);
    kept.push(s);
  }
  return kept.sort((a, b) => a.start - b.start);
}
