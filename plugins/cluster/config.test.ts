import { describe, expect, it } from 'vitest';
import { clusterConfigSchema } from './src/config.js';

describe('cluster settings', () => {
  it('take back what they give: the defaults (a cache under ~/.cache) save unchanged', () => {
    const defaults = clusterConfigSchema.parse({});
    expect(defaults.modelCacheDir).toBe('.cache/huggingface');
    expect(clusterConfigSchema.safeParse(defaults).success).toBe(true);
  });
  it('refuse a cache path that climbs out or carries shell characters', () => {
    for (const bad of ['../etc', '.cache/../..', 'a b', '$(reboot)', 'x;y', './']) expect(clusterConfigSchema.safeParse({ modelCacheDir: bad }).success, bad).toBe(false);
    for (const good of ['.cache/huggingface', '/data/hf', 'models/hf_cache', '.hf']) expect(clusterConfigSchema.safeParse({ modelCacheDir: good }).success, good).toBe(true);
  });
});
