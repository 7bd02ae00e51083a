/** Case- and diacritic-insensitive folding that keeps string positions: one output char per input char. */
export function foldChar(c: string): string {
  const f = c.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  return f.length === 1 ? f : c.toLowerCase().slice(0, 1) || c;
}

/** foldChar of each non-ASCII char met so far: normalising char by char was most of the cost of a fold. At most one
 *  entry per UTF-16 code unit value, so bounded. */
const folded = new Map<string, string>();

export function fold(s: string): string {
  // ASCII runs fold to their lower case (what foldChar gives them), in one call per run; astral characters stay.
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) continue;
    out += s.slice(from, i).toLowerCase();
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s.slice(i, i + 2);
      i++;
    } else {
      const ch = s[i];
      let f = folded.get(ch);
      if (f === undefined) { f = foldChar(ch); folded.set(ch, f); }
      out += f;
    }
    from = i + 1;
  }
  return from === 0 ? s.toLowerCase() : out + s.slice(from).toLowerCase();
}

/** Key used to recognise "the same value" across items: folded, whitespace collapsed, possessive removed. */
export function valueKey(kind: string, value: string): string {
  let v = fold(value).replace(/\s+/g, ' ').trim().replace(/['’]s$/, '');
  if (kind === 'PHONE' || kind === 'CARD' || kind === 'ACCOUNT') v = v.replace(/\D/g, '');
  return `${kind}:${v}`;
}
