import { describe, expect, it } from 'vitest';
import { markText } from './src/history.js';

/** What the charts' time axis says of each vLLM event (the events' payloads as the swap, the scheduler and the
 *  residency arbiter emit them). */
describe('vLLM marks on the history', () => {
  it('marks swaps, on-request loads, sleeps, wakes, stops and evictions with the model they concern', () => {
    expect(markText('vllm.swap.started', { modelId: 'a' })).toEqual({ kind: 'swap', text: 'swap to a started' });
    expect(markText('vllm.swap.asleep', { modelId: 'a', level: 2 })).toEqual({ kind: 'sleep', text: 'a put to sleep (level 2)' });
    expect(markText('vllm.swap.woke', { modelId: 'a', ms: 1234 })).toEqual({ kind: 'wake', text: 'a woke in 1.2 s' });
    expect(markText('vllm.swap.unloaded', { modelId: 'a', reason: 'idle for 300 s' })).toEqual({ kind: 'stop', text: 'a stopped: idle for 300 s' });
    expect(markText('vllm.ondemand.load', { modelId: 'b', kind: 'cold' })).toEqual({ kind: 'load', text: 'b loading on request (cold start)' });
    expect(markText('vllm.ondemand.evicted', { modelId: 'a', action: 'sleep', for: 'b' })).toEqual({ kind: 'evict', text: 'a put to sleep to make room for b' });
  });

  it('leaves the chatter unmarked: queue changes, phases, downloads', () => {
    for (const t of ['vllm.ondemand.queued', 'vllm.swap.phase', 'vllm.download.running', 'vllm.ondemand.loaded']) expect(markText(t, { modelId: 'a' })).toBeUndefined();
  });
});
