import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Span } from '../detect.js';

/**
 * Structured values the base rules (detect.ts) miss on real text: national phone formats of many countries, dates of
 * birth, personal ids behind their cue words, UK National Insurance numbers, postcodes and street addresses in
 * European, UK/Irish, US and Japanese layouts. Every pattern is a single character class or a fixed sequence with
 * bounded repeats, so the work stays linear in the input (no nested quantifiers that could backtrack).
 */

/** Countries whose national formats are tried for a number written without +/00 (the UI's users and the eval's). */
export const PHONE_COUNTRIES: CountryCode[] = ['US', 'GB', 'IE', 'DE', 'AT', 'CH', 'FR', 'NL', 'BE', 'ES', 'PT', 'IT', 'SE', 'NO', 'DK', 'PL', 'CZ',
  'HU', 'RO', 'RS', 'HR', 'TR', 'IN', 'AU', 'NZ', 'BR', 'MX', 'CO', 'JP', 'KR', 'CN', 'SG', 'MY', 'ZA', 'NG', 'GH', 'KE', 'AE'];

const PHONE_CUE = /(?:phone|tel|telefon|telephone|mobile|mobil|mob|cell|celular|call|ring|text|sms|whatsapp|fax|number|nummer|contact|reach(?:ed)?|line|on|at|via|is|:)\W{0,4}$/i;
const DATE_LIKE = /^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$/;

function* phones(text: string): Generator<Span> {
  // One character class with a bounded length: linear, whatever the input.
  const re = /(?:\+|\b00|\()?\d[\d ().-]{5,22}\d\b/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[0].replace(/[\s(.-]+$/, '');
    const d = raw.replace(/\D/g, '');
    if (d.length < 7 || d.length > 15 || DATE_LIKE.test(raw) || /\d[ ,.]\d{3}[.,]\d{2}$/.test(raw)) continue;
    // Written numbers come in groups of 2–5 digits; single digits in a row are a table or a count, not a phone.
    if (!/\d\d/.test(raw) || raw.split(/[\s().-]+/).filter(Boolean).length > 6) continue;
    const before = text.slice(Math.max(0, m.index - 24), m.index);
    if (/[A-Za-z]$/.test(before) || /[-/#]$/.test(before)) continue; // "SE45…", "#58120", "2211-…"
    const cued = PHONE_CUE.test(before);
    // A short number without a cue word is never kept, valid or not: don't try it in 38 countries (most of the cost).
    if (d.length < 9 && !cued) continue;
    const intl = raw.startsWith('+') || raw.startsWith('00');
    const probe = raw.startsWith('00') ? '+' + raw.slice(2) : raw;
    let valid = false;
    let key = d;
    for (const c of intl ? [undefined] : PHONE_COUNTRIES) {
      const p = parsePhoneNumberFromString(probe, c as CountryCode);
      if (p?.isValid()) { valid = true; key = p.number; break; }
    }
    // A valid number of 9+ digits stands on its own; a shorter one (Norway's 8, an extension) needs a cue word.
    if ((valid && (d.length >= 9 || cued)) || (cued && d.length >= 8 && /[\s.-]/.test(raw))) {
      yield { start: m.index, end: m.index + raw.length, kind: 'PHONE', tier: 2, key };
    }
  }
}

const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const DATE = `(?:\\d{4}[./-]\\d{1,2}[./-]\\d{1,2}|\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}|\\d{1,2}(?:st|nd|rd|th)?(?: of)? ${MONTH}\\.?,? \\d{4}|${MONTH}\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4})`;
const DOB_RE = new RegExp(`\\b(?:DOB|D\\.O\\.B\\.?|date of birth|birth ?date|born(?: on)?|geb\\.?|geboren|née? le|fecha de nacimiento)\\s{0,3}(?:is|was|on|:|-)?\\s{0,3}(?:the\\s)?(${DATE})`, 'gi');

const ID_CUE = '(?:MRN|NHS(?: No\\.?| number)?|NHI|NRIC|PESEL|BSN|NIF(?: do cliente)?|GSTIN|CNPJ|CPF|VAT(?: number| no\\.?)?|Emirates ID|Versichertennummer|passport(?: no\\.?| number)?|' +
  '(?:patient|member|customer|client|employee|staff|insurance member|policy|licen[cs]e)(?: id| no\\.?| number| #)?|member|ID)';
const ID_RE = new RegExp(`\\b${ID_CUE}\\s{0,2}(?:is|:|#)?\\s{0,2}([A-Z]{0,4}[-]?\\d[\\dA-Z./-]{3,24})`, 'gi');

const NINO = /\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g;
/** After its name, any two letters: HMRC's own examples use the QQ prefix it never issues. */
const NINO_CUED = /\b(?:national insurance|NI|NINO)(?: number| no\.?)?\s{0,2}(?:is|:)?\s{0,2}([A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D])\b/gi;
const UK_POSTCODE = /\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b/g;
const EIRCODE = /\b[AC-FHKNPRTV-Y]\d{2}(?: ?[AC-FHKNPRTV-Y0-9]{4})\b/g;
const US_STATE = 'AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC';
const US_ZIP = new RegExp(`\\b(?:${US_STATE}) \\d{5}(?:-\\d{4})?\\b`, 'g');
/** "70565 Stuttgart", "1015 CJ Amsterdam", "4000-322 Porto", "90-006 Łódź" after a comma or at a line start. */
const EU_POSTCODE = /(?<=(?:^|\n|,)[ \t]{0,3})(\d{4,5}(?:-\d{3})?|\d{4} ?[A-Z]{2}|\d{2}-\d{3})(?= \p{Lu})/gu;
const PO_BOX = /\bP\.? ?O\.? Box \d{1,6}\b/gi;
const JP_BLOCK = /\b\d{1,2}-\d{1,2}-\d{1,2} \p{Lu}[\p{L}-]{2,30}/gu;
const UNIT = /\b(?:Flat|Apartment|Apt\.?|Unit|Suite|Room)\s{1,2}\d{1,4}[A-Z]?\b/gi;

/** Street words that come before the name ("Rua Garrett", "Calle de Ercilla", "ul. Piotrkowska", "Via Tortona"). */
const PREFIX_STREET = /(?<![\p{L}])(?:Rua|Rue|Calle|Carrer|Avenida|Av\.|Via|Viale|Piazza|Strada|Str\.|Praça|Plaza|Paseo|Largo|Travessa|Estrada|ul\.|ulica|Boulevard|boulevard|rue|calle|rua|Heol|Stryd|Ffordd)(?= )/gu;
const PARTICLE = /^(?:de|da|do|dos|das|del|della|di|la|le|les|des|du|y|na|an|der|den)$/;
/** Street words glued to the name or after it ("Industriestraße 42", "Storgata 14", "Andrássy út 61", "Belgrave Gate"). */
const GLUED = /(?:straße|strasse|str|weg|gasse|platz|allee|ring|damm|gata|gatan|gade|vej|veien|vegen|laan|straat|gracht|kade|plein|steeg|dreef|singel|utca|út|tér|körút)$/iu;
const SUFFIX_WORDS = new Set(['straße', 'strasse', 'út', 'utca', 'tér', 'gate', 'road', 'street', 'lane', 'avenue', 'close', 'way', 'drive', 'row', 'mews', 'terrace', 'cottages',
  'crescent', 'parade', 'place', 'square', 'court', 'gardens', 'grove', 'hill', 'walk', 'wynd', 'quay', 'trail', 'hwy', 'highway', 'road.']);

interface Word { text: string; start: number; end: number }
function words(text: string, from: number, max: number): Word[] {
  const out: Word[] = [];
  const re = /[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}'’.-]*/gu;
  re.lastIndex = from;
  for (let m = re.exec(text); m && out.length < max; m = re.exec(text)) {
    if (/[,\n;:()]/.test(text.slice(out.length ? out[out.length - 1].end : from, m.index))) break; // a street name stops at punctuation
    out.push({ text: m[0].replace(/[.]$/, ''), start: m.index, end: m.index + m[0].replace(/[.]$/, '').length });
  }
  return out;
}

function* streets(text: string): Generator<Span> {
  const span = (start: number, end: number): Span => ({ start, end, kind: 'LOCATION', tier: 2, key: text.slice(start, end) });
  // Designator first: take the name words that follow (capitalised, or particles), then a house number if there is one.
  for (let m = PREFIX_STREET.exec(text); m; m = PREFIX_STREET.exec(text)) {
    const ws = words(text, m.index + m[0].length, 6);
    let end = -1;
    for (const w of ws) {
      if (/^\p{Lu}/u.test(w.text) || PARTICLE.test(w.text)) { end = w.end; continue; }
      if (/^\d{1,5}[A-Za-z]?$/.test(w.text) && end > 0) end = w.end;
      break;
    }
    // A house number written before ("22 Heol y Parc") belongs to the address.
    const num = /\d{1,5}[A-Za-z]?,?\s$/.exec(text.slice(Math.max(0, m.index - 8), m.index));
    if (end > 0 && !PARTICLE.test(text.slice(m.index, end).split(' ').pop()!)) yield span(num ? m.index - num[0].length : m.index, end);
  }
  // Name then number ("Storgata 14", "Industriestraße 42", "Mariahilfer Straße 88", "Andrássy út 61").
  const glued = /(?<![\p{L}\p{N}])(\p{Lu}[\p{L}\p{M}'’-]{1,40}(?: (?:Straße|Strasse|út|utca|tér))?) (\d{1,5}[a-z]?)\b/gu;
  for (let m = glued.exec(text); m; m = glued.exec(text)) {
    const name = m[1];
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 12);
    const before = text.slice(Math.max(0, m.index - 20), m.index);
    if (GLUED.test(name.split(' ')[0]) || / (?:Straße|Strasse|út|utca|tér)$/u.test(name) || (/^,\s{0,2}(?:\d{4,5}\s)?\p{Lu}/u.test(after) && /(?:^|\n|at |: |of |Address |is )\s{0,2}$/i.test(before))) {
      yield span(m.index, m.index + m[0].length);
    }
  }
  // Number then name then an English/Welsh street word ("22 Heol y Parc" is caught above; "45 Belgrave Gate", "2 Willow Cottages").
  const numbered = /(?<![\p{L}\p{N}-])\d{1,5}(?:-\d{1,4})?[A-Za-z]?,? (?=\p{Lu})/gu;
  for (let m = numbered.exec(text); m; m = numbered.exec(text)) {
    const ws = words(text, m.index + m[0].length, 5);
    let end = -1;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i].text;
      if (!/^\p{Lu}/u.test(w) && !PARTICLE.test(w)) break;
      if (SUFFIX_WORDS.has(w.toLowerCase()) && i > 0) { end = ws[i].end; break; }
    }
    if (end > 0) yield span(m.index, end);
    // "at 3 Gort na Mara," / "to 5 Ring Road Central": after an address cue, the capitalised words up to the comma.
    else if (ws.length && /(?:\bat|\bto|lives at|address(?: is)?:?|Property:)\s{1,2}$/i.test(text.slice(Math.max(0, m.index - 16), m.index))) {
      let e = -1;
      for (const w of ws) { if (/^\p{Lu}/u.test(w.text) || PARTICLE.test(w.text)) e = w.end; else break; }
      if (e > 0 && ws.filter((w) => /^\p{Lu}/u.test(w.text)).length >= 2) yield span(m.index, e);
    }
  }
  // A street name with its designator but no number ("Hamra Street", "Princes Street", "Osu Badu Street").
  const named = /(?<![\p{L}])(?:\p{Lu}[\p{Ll}\p{M}'’-]+ ){1,3}(?:Street|Road|Lane|Avenue|Gate|Boulevard|Way)\b/gu;
  // It tries every capitalised word: look for one of its designators first (most texts have none).
  if (!/(?:Street|Road|Lane|Avenue|Gate|Boulevard|Way)\b/.test(text)) return;
  for (let m = named.exec(text); m; m = named.exec(text)) yield span(m.index, m.index + m[0].length);
}

function* re(text: string, pattern: RegExp, kind: string, tier: 1 | 2, group = 0): Generator<Span> {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const v = m[group].replace(/[./-]+$/, '');
    const start = m.index + m[0].lastIndexOf(v);
    yield { start, end: start + v.length, kind, tier, key: v };
  }
}

/** The structured layer: spans the base rules don't find. Tier 1 for National Insurance numbers; the rest tier 2. */
export function detectStructured(text: string): Span[] {
  return [
    ...phones(text),
    ...re(text, DOB_RE, 'DOB', 2, 1),
    ...re(text, ID_RE, 'ID', 2, 1),
    ...re(text, NINO, 'SSN', 1),
    ...re(text, NINO_CUED, 'SSN', 1, 1),
    ...re(text, UK_POSTCODE, 'LOCATION', 2),
    ...re(text, EIRCODE, 'LOCATION', 2),
    ...re(text, US_ZIP, 'LOCATION', 2),
    ...re(text, EU_POSTCODE, 'LOCATION', 2, 1),
    ...re(text, PO_BOX, 'LOCATION', 2),
    ...re(text, JP_BLOCK, 'LOCATION', 2),
    ...re(text, UNIT, 'LOCATION', 2),
    ...streets(text),
  ];
}
