import { describe, expect, it } from 'vitest';
import { embeddingTexts, endsMatch, objectJson } from './src/vectorText.js';

/** What the scan found, read back as numbers, beside what JSON.parse made of the same answer. */
function both(text: string) {
  const parsed = (JSON.parse(text) as { data: Array<{ embedding?: number[] }> }).data.map((d) => d.embedding);
  const texts = embeddingTexts(text);
  expect(texts.length).toBeLessThanOrEqual(parsed.length);
  const found = parsed.map((_, i) => (texts[i] === undefined ? undefined : (JSON.parse(texts[i]!) as number[])));
  return { parsed, found };
}

describe('embedding vectors as the service sent them', () => {
  it('finds each element\'s embedding text exactly, by position in data', () => {
    const text = '{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-1e-7,3],"sparse":{"indices":[4,9],"values":[0.1,0.2]}},{"index":0,"embedding":[1.25,2]}],"usage":{"prompt_tokens":3}}';
    expect(embeddingTexts(text)).toEqual(['[0.5,-1e-7,3]', '[1.25,2]']);
  });

  it('is not misled by strings, nesting, spacing, escaped keys or repeated keys', () => {
    const cases = [
      // a string that looks like an embedding, quotes and backslashes inside strings
      '{"model":"x\\"embedding\\":[9,9]\\\\","data":[{"note":"] [ { } , \\"","embedding":[1,2]}]}',
      // pretty-printed, keys in another order, an element without one
      '{\n  "data" : [\n    { "embedding" : [ 1 , 2 ,\n 3 ] , "index" : 0 },\n    { "index" : 1 }\n  ]\n}',
      // "embedding" deeper than an element, or outside data
      '{"usage":{"embedding":[7]},"data":[{"meta":{"embedding":[8]},"extra":[[1],[2]],"embedding":[3]}]}',
      // a key written with escapes
      '{"data":[{"\\u0065mbedding":[4,5]}]}',
      // the last of a repeated key counts, as in JSON.parse (also a repeated data)
      '{"data":[{"embedding":[1]}],"data":[{"embedding":[2],"embedding":[3,4]}]}',
      // a root that is not an object, data that is not an array
      '{"data":{"embedding":[1]}}',
    ];
    for (const text of cases.slice(0, -1)) {
      const { parsed, found } = both(text);
      expect(found, text).toEqual(parsed);
    }
    expect(embeddingTexts(cases[cases.length - 1])).toEqual([]);
    expect(embeddingTexts('[{"data":[{"embedding":[1]}]}]')).toEqual([]);
  });

  it('agrees with JSON.parse on generated answers', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const noise = (): unknown => (rnd() < 0.3 ? `s"\\]}{,${rnd()}` : rnd() < 0.5 ? { embedding: [rnd()], list: [[rnd()], 'x]'] } : [rnd(), null, true]);
    for (let n = 0; n < 200; n++) {
      const data = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, index) => ({
        ...(rnd() < 0.5 ? { a: noise() } : {}), index, ...(rnd() < 0.8 ? { embedding: Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 10 - 5)) } : {}), b: noise(),
      }));
      const text = JSON.stringify({ x: noise(), data, usage: noise() }, null, rnd() < 0.5 ? 0 : 2);
      const { parsed, found } = both(text);
      expect(found, text).toEqual(parsed);
    }
  });

  it('endsMatch checks an array text against the first and last of the values read from it', () => {
    expect(endsMatch('[1.50, 2 ,3e0]', [1.5, 2, 3])).toBe(true);
    expect(endsMatch('[1,2,3]', [1, 2, 4])).toBe(false);
    expect(endsMatch('[2,2,3]', [1, 2, 3])).toBe(false);
    expect(endsMatch('[ -0.25 ]', [-0.25])).toBe(true);
    expect(endsMatch('[ ]', [])).toBe(true);
    expect(endsMatch('[1]', [])).toBe(false);
    expect(endsMatch('[]', [0])).toBe(false);
    expect(endsMatch('', [1])).toBe(false);
    expect(endsMatch('{"a":1}', [1])).toBe(false);
  });

  it('objectJson puts the given texts in as they are and the rest serialised', () => {
    expect(JSON.parse(objectJson({ dense: '[1.50,2e0]', none: undefined }, { id: 'a', payload: { t: 'x"y' } }))).toEqual({ dense: [1.5, 2], id: 'a', payload: { t: 'x"y' } });
    expect(objectJson({ dense: '[1]' }, {})).toBe('{"dense":[1]}');
    expect(objectJson({}, { a: 1 })).toBe('{"a":1}');
    expect(objectJson({ a: undefined }, {})).toBe('{}');
  });
});
