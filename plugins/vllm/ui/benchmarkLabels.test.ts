import { describe, expect, it } from 'vitest';
import { runFacts, runLabels, type RunFacts } from './benchmarkLabels.js';

const run = (over: Partial<RunFacts> & { args?: string[] } = {}): RunFacts => ({
  at: over.at ?? '2026-12-03T10:00:00Z', modelId: over.modelId ?? 'qwen3-4b-instruct', vllmVersion: over.vllmVersion ?? '0.12.0',
  launch: { args: over.args ?? ['--max-model-len', '32768', '--gpu-memory-utilization', '0.5'], image: 'vllm-node', tensorParallel: 1, maxModelLen: 32768 },
  settings: { count: 32, maxTokens: 256 },
});
const date = (iso: string) => iso.slice(11, 16);

describe('benchmark run labels', () => {
  it('reads --flag value, --flag=value and a bare --flag from the args', () => {
    const f = runFacts(run({ args: ['--max-model-len=8192', '--enforce-eager', '--kv-cache-dtype', 'fp8'] }));
    expect(f.get('--max-model-len')).toBe('8192');
    expect(f.get('--enforce-eager')).toBe('on');
    expect(f.get('--kv-cache-dtype')).toBe('fp8');
    expect(f.get('tp')).toBe('1');
  });

  it('names only what differs between the runs, a flag absent in one as –', () => {
    const labels = runLabels([
      run({ at: '2026-12-03T10:00:00Z' }),
      run({ at: '2026-12-03T11:00:00Z', args: ['--max-model-len', '32768', '--gpu-memory-utilization', '0.6', '--enforce-eager'] }),
      run({ at: '2026-12-03T12:00:00Z', vllmVersion: '0.13.0' }),
    ], date);
    expect(labels).toEqual([
      '10:00 · --gpu-memory-utilization=0.5 · --enforce-eager=– · vLLM 0.12.0',
      '11:00 · --gpu-memory-utilization=0.6 · --enforce-eager=on · vLLM 0.12.0',
      '12:00 · --gpu-memory-utilization=0.5 · --enforce-eager=– · vLLM 0.13.0',
    ]);
    expect(runLabels([run(), run({ at: '2026-12-03T13:00:00Z' })], date)).toEqual(['10:00', '13:00']);
  });
});
