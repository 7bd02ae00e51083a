import { describe, expect, it } from 'vitest';
import { detailLink, parseDetailRoute } from './detail-route.js';
import { labelMatcher } from './label-match.js';

describe('full-page routes', () => {
  it('reads the kind, the name and the window of a page\'s hash', () => {
    expect(parseDetailRoute('#/spark/spark-1')).toEqual({ kind: 'spark', value: 'spark-1', range: '1h' });
    expect(parseDetailRoute('#/model/qwen3-4b?range=7d')).toEqual({ kind: 'model', value: 'qwen3-4b', range: '7d' });
    expect(parseDetailRoute('#/model/org%2Fname%20x?range=30d')).toEqual({ kind: 'model', value: 'org/name x', range: '30d' });
  });

  it('falls back to the first window for an unknown one, and is no page for another route or a broken escape', () => {
    expect(parseDetailRoute('#/spark/spark-1?range=2y')?.range).toBe('1h');
    expect(parseDetailRoute('#/spark/spark-1?range=')?.range).toBe('1h');
    for (const r of ['#/', '#/clients', '#/clients/x', '#/settings/x', '#/spark/', '#/Spark/x', '#/1x/y', '#/model/%E0%A4%A', '']) expect(parseDetailRoute(r), r).toBeUndefined();
    // Any plugin's kind reads back: the shell knows none of them.
    expect(parseDetailRoute('#/comfy-flow/x')).toEqual({ kind: 'comfy-flow', value: 'x', range: '1h' });
  });

  it('builds links that read back the same', () => {
    for (const [kind, value, range] of [['spark', 'spark-2', '24h'], ['model', 'a/b c?', '1h'], ['model', 'x', '30d']] as const) {
      expect(parseDetailRoute(detailLink(kind, value, range))).toEqual({ kind, value, range });
    }
    expect(detailLink('spark', 'spark-1', '1h')).toBe('#/spark/spark-1');
  });
});

describe('a chart\'s label filter', () => {
  it('keeps the label sets with every named label at its value; blank keeps all', () => {
    const spark1 = { host: 'spark-1' };
    expect(labelMatcher('host=spark-1')(spark1)).toBe(true);
    expect(labelMatcher('host=spark-2')(spark1)).toBe(false);
    expect(labelMatcher('host=spark-1, gpu=0')(spark1)).toBe(false);
    expect(labelMatcher('host=spark-1,gpu=0')({ host: 'spark-1', gpu: '0' })).toBe(true);
    expect(labelMatcher('')(spark1)).toBe(true);
    expect(labelMatcher(' , ')(spark1)).toBe(true);
    expect(labelMatcher('model=a=b')({ model: 'a=b' })).toBe(true);
  });
});
