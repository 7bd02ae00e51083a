/** Case- and diacritic-insensitive folding that keeps string positions: one output char per input char. */
export function foldChar(c: string): string {
  const f = c.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  return f.length === 1 ? f : c.toLowerCase().slice(0, 1) || c;
}

export function fold(s: string): string {
  let out = '';
  for (const ch of s) out += ch.length === 1 ? foldChar(ch) : ch;
  return out;
}

/** Key used to recognise "the same value" across items: folded, whitespace collapsed, possessive removed. */
export function valueKey(kind: string, value: string): string {
  let v = fold(value).replace(/\s+/g, ' ').trim().replace(/['’]s$/, '');
  if (kind === 'PHONE' || kind === 'CARD' || kind === 'ACCOUNT') v = v.replace(/\D/g, '');
  return `${kind}:${v}`;
}
