import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import type { SimCluster } from '../../sim/cluster.js';
import { LOG_FOLLOWERS_PER_CLIENT } from './src/logFollowers.js';
import { readUntil, waitFor } from '../../tests/helpers/sseRead.js';

let k: TestKernel;
let root: string;
let cluster: SimCluster;
const follows = () => cluster.server('spark-1').processes().filter((p) => p.command.includes('--follow')).length;

beforeAll(async () => {
  k = await createTestKernel({ plugins: ['vllm'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 10 } } } });
  cluster = k.app.sim!.cluster as unknown as SimCluster;
  root = k.sim!.hostRoot('spark-1');
  writeFileSync(join(root, 'state/vllm-sim.json'), JSON.stringify({ loadMs: 300 }));
  const r = await k.fetch('/api/plugins/vllm/swap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen3-4b-instruct' }) });
  expect((await k.app.services.jobs.wait((await r.json()).id)).state).toBe('succeeded');
});
afterAll(async () => { await k?.stop(); });

describe('the served model\'s container log over SSE', () => {
  it('sends the last lines, then the lines docker writes later, and stops the remote docker logs when the client leaves', async () => {
    const ac = new AbortController();
    const res = await k.fetch('/api/plugins/vllm/logs/follow?lines=5', { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = await readUntil(reader, /event: line/, 20_000);
    expect(text).toMatch(/event: line\ndata: \{"line":"/);
    await waitFor(() => follows() === 1, 15_000);
    expect(follows()).toBe(1);
    appendFileSync(join(root, 'state/containers/vllm_node.log'), 'INFO 12-03 engine: a line written while following\n');
    text = await readUntil(reader, /a line written while following/, 15_000, text);
    expect(text).toContain('a line written while following');
    ac.abort();
    await waitFor(() => follows() === 0, 15_000);
    expect(follows()).toBe(0);
  }, 60_000);

  it(`caps followers at ${LOG_FOLLOWERS_PER_CLIENT} per client with a 429, and frees a slot when one leaves`, async () => {
    const open: AbortController[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < LOG_FOLLOWERS_PER_CLIENT + 2; i++) {
      const ac = new AbortController();
      const r = await k.fetch('/api/plugins/vllm/logs/follow?lines=1', { signal: ac.signal });
      statuses.push(r.status);
      if (r.status === 200) open.push(ac);
      else {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await r.json()).code).toBe('VLLM_TOO_MANY_LOG_FOLLOWERS');
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(LOG_FOLLOWERS_PER_CLIENT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    open.pop()!.abort();
    await new Promise((r) => setTimeout(r, 200));
    const again = new AbortController();
    expect((await k.fetch('/api/plugins/vllm/logs/follow?lines=1', { signal: again.signal })).status).toBe(200);
    open.push(again);
    for (const ac of open) ac.abort();
    await waitFor(() => follows() === 0, 15_000);
    expect(follows()).toBe(0);
  }, 40_000);

  it('answers the last lines as JSON too', async () => {
    const r = await k.fetch('/api/plugins/vllm/logs?lines=2');
    expect(r.status).toBe(200);
    const { lines } = await r.json() as { lines: string[] };
    expect(lines).toEqual(readFileSync(join(root, 'state/containers/vllm_node.log'), 'utf8').split('\n').filter(Boolean).slice(-2));
  });

  it('refuses a bad tail length with a 400 naming query.lines, before anything is sent over SSH', async () => {
    for (const q of ['lines=0', 'lines=abc', 'lines=999999', 'lines=1.5']) {
      const r = await k.fetch(`/api/plugins/vllm/logs/follow?${q}`);
      expect(r.status, q).toBe(400);
      expect((await r.json()).errors.map((e: { field: string }) => e.field), q).toContain('query.lines');
    }
    expect(follows()).toBe(0);
  });
});
