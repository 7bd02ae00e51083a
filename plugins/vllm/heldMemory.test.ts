import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel;
beforeAll(async () => {
  k = await createTestKernel({ plugins: ['cluster', 'vllm'], config: { plugins: { vllm: { readinessPollMs: 200 } } } });
  writeFileSync(join(k.sim!.hostRoot('spark-1'), 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
}, 60_000);
afterAll(async () => { await k?.stop(); });

async function usedGiB(): Promise<number> {
  const r = await k.fetch('/api/plugins/cluster/hosts/spark-1/poll', { method: 'POST' });
  const host = await r.json() as { memory?: { usedMiB: number; totalMiB: number } };
  return host.memory!.usedMiB / 1024;
}

describe('a simulated Spark\'s memory while a model serves', () => {
  it('rises by the model\'s --gpu-memory-utilization share of the GB10\'s memory, and falls again when it stops', async () => {
    const before = await usedGiB();
    const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b-instruct' }) });
    expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
    const container = JSON.parse((await import('node:fs')).readFileSync(join(k.sim!.hostRoot('spark-1'), 'state/containers/vllm_node.json'), 'utf8')) as { Exec: { cmd: string[] } };
    const words = container.Exec.cmd.join(' ').split(/\s+/);
    const u = words.indexOf('--gpu-memory-utilization');
    const util = u > 0 ? Number(words[u + 1]) : 0.9;
    await new Promise((res) => setTimeout(res, 1_200));
    const serving = await usedGiB();
    // 121.7 GiB × the launch's share, give or take what this machine's own programs did meanwhile.
    expect(serving - before).toBeGreaterThan(121.7 * util - 4);
    expect(serving - before).toBeLessThan(121.7 * util + 4);
    // The container goes away (as `docker stop` on the Spark would do): the memory is free again.
    await k.app.services.ssh.exec('spark-1', ['docker', 'stop', 'vllm_node']);
    await new Promise((res) => setTimeout(res, 1_500));
    expect(await usedGiB()).toBeLessThan(before + 4);
  }, 60_000);
});
