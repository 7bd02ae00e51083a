/** Malformed request bodies for fuzzing, generated from a seed so a failure can be replayed: wrong types, nulls,
 *  objects whose toString/valueOf are not functions, `__proto__`/`constructor` keys, deep nesting, huge strings,
 *  broken JSON text. Each body is a mutation of a route's sample body (one field, the whole body, or the text). */

export interface FuzzBody { label: string; contentType: string; body: string | Uint8Array }

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nested = (depth: number, leaf: string, open: string, close: string) => open.repeat(depth) + leaf + close.repeat(depth);

/** Hostile values as JSON text (some are not expressible as JS values: 1e309, duplicate keys, lone surrogates). */
export const HOSTILE_JSON: Array<[label: string, json: string]> = [
  ['null', 'null'], ['true', 'true'], ['zero', '0'], ['negative', '-1'], ['float', '0.5'], ['1e309', '1e309'], ['-0', '-0'],
  ['2^53+1', '9007199254740993'], ['empty string', '""'], ['NUL string', '"\\u0000"'], ['lone surrogate', '"\\ud800"'],
  ['shell-ish string', '"$(id);`id`|id"'], ['empty array', '[]'], ['[null]', '[null]'], ['[[[]]]', '[[[]]]'], ['empty object', '{}'],
  ['{"toString":1}', '{"toString":1}'], ['{"valueOf":{}}', '{"valueOf":{}}'], ['{"toString":{},"valueOf":{}}', '{"toString":{},"valueOf":{}}'],
  ['{"toJSON":1,"then":1}', '{"toJSON":1,"then":1}'], ['{"length":-1}', '{"length":-1,"0":"a"}'], ['{"length":1e12}', '{"length":1e12}'],
  ['__proto__ object', '{"__proto__":{"polluted":1,"toString":1}}'], ['constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}'],
  ['[{"toString":1}]', '[{"toString":1},{"valueOf":{}}]'], ['duplicate keys', '{"a":1,"a":{"toString":1}}'],
  ['deep array', nested(3000, '1', '[', ']')], ['deep object', nested(3000, '1', '{"a":', '}')],
  ['number as string', '"12"'], ['bool as string', '"true"'], ['unicode', '"𝕏\\u202e\\ufeff"'],
];
const HUGE = (n: number) => JSON.stringify('x'.repeat(n));

/** Paths (dot-separated keys) of every value inside a sample body, so a mutation can hit a nested field too. */
function paths(v: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (v && typeof v === 'object') {
    for (const [k, c] of Object.entries(v)) {
      const p = [...prefix, k];
      out.push(p);
      if (p.length < 4) paths(c, p, out);
    }
  }
  return out;
}

/** JSON text of `sample` with the value at `path` replaced by raw JSON text `json` (done on text, so values that JSON
 *  cannot round-trip through JS — 1e309, duplicate keys, `__proto__` — arrive as sent). */
function withRaw(sample: unknown, path: string[], json: string): string {
  const marker = '\u0001FUZZ\u0001';
  const copy = structuredClone(sample) as Record<string, unknown>;
  let o: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path[path.length - 1]] = marker;
  return JSON.stringify(copy).replace(JSON.stringify(marker), json);
}

/** One malformed body for a route whose well-formed body looks like `sample` (undefined: the route has none). */
export function malformedJsonBody(sample: unknown, rnd: () => number, hugeBytes: number): FuzzBody {
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const json = 'application/json';
  const r = rnd();
  const fieldPaths = sample && typeof sample === 'object' ? paths(sample) : [];
  if (r < 0.45 && fieldPaths.length) {
    // One field (maybe nested) replaced by a hostile value.
    const p = pick(fieldPaths);
    const [label, value] = rnd() < 0.05 ? ['huge string', HUGE(hugeBytes)] : pick(HOSTILE_JSON);
    return { label: `${p.join('.')} = ${label}`, contentType: json, body: withRaw(sample, p, value) };
  }
  if (r < 0.55 && sample && typeof sample === 'object' && !Array.isArray(sample)) {
    // A well-formed body plus hostile extra keys.
    const [label, value] = pick(HOSTILE_JSON);
    const key = pick(['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '', 'x'.repeat(300)]);
    const text = JSON.stringify(sample);
    return { label: `extra key ${key.slice(0, 20)} = ${label}`, contentType: json, body: `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(key)}:${value}}` };
  }
  if (r < 0.8) {
    // The whole body replaced.
    const [label, value] = rnd() < 0.05 ? ['huge string', HUGE(hugeBytes)] : pick(HOSTILE_JSON);
    return { label: `body = ${label}`, contentType: json, body: value };
  }
  // Broken JSON text or a lying content type.
  const text = JSON.stringify(sample ?? { a: 1 });
  const broken: Array<[string, string | Uint8Array, string]> = [
    ['truncated JSON', text.slice(0, Math.max(1, Math.floor(text.length / 2))), json],
    ['trailing garbage', `${text}}}]]`, json],
    ['BOM + JSON', `\ufeff${text}`, json],
    ['empty body', '', json],
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]), json],
    ['JSON as text/plain', text, 'text/plain'],
    ['JSON as form', 'a=1&__proto__[x]=1&toString=1', 'application/x-www-form-urlencoded'],
    ['binary', new Uint8Array(Array.from({ length: 2048 }, (_, i) => (i * 197 + 13) % 256)), 'application/octet-stream'],
    ['charset lie', text, 'application/json; charset=utf-7'],
  ];
  const [label, body, contentType] = pick(broken);
  return { label, contentType, body };
}

/** A malformed multipart upload (always with a boundary): hostile field values, no file, a file that is not audio. */
export function malformedMultipartBody(rnd: () => number): FuzzBody {
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const b = `fuzz${Math.floor(rnd() * 1e9)}`;
  const field = (name: string, value: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const file = (bytes: string) => `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n${bytes}\r\n`;
  const names = ['model', 'language', 'response_format', 'max_speakers', 'timestamp_granularities[]', 'channel_mode', 'mode', 'chunk_seconds', 'overlap_seconds', 'include_words', '__proto__', 'toString'];
  const values = ['', '-1', '1e309', 'NaN', '{"toString":1}', '[null]', 'x'.repeat(5000), '\u0000', 'verbose_json', 'dual', 'chunked'];
  const parts: string[] = [];
  for (let i = Math.floor(rnd() * 4); i > 0; i--) parts.push(field(pick(names), pick(values)));
  const kind = rnd();
  if (kind < 0.4) parts.push(file(pick(['not audio at all', 'ID3\u0003\u0000junk', 'fLaC\u0000\u0000', 'OggS\u0000junk', '\u0000'.repeat(64)])));
  else if (kind < 0.6) parts.push(file(''));
  const body = parts.join('') + (rnd() < 0.85 ? `--${b}--\r\n` : ''); // sometimes never closed
  return { label: `multipart: ${parts.length} parts${kind >= 0.6 ? ', no file' : ''}`, contentType: `multipart/form-data; boundary=${b}`, body };
}
