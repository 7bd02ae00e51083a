import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

/** Command-injection fuzzer: hostile strings into every field that can reach an SSH command, against the simulator
 *  (real bash executes whatever arrives). Pass = the canary never appears, and every payload is either refused with a
 *  4xx or arrives as one literal argument. */
const CANARY = `/tmp/spark-canary-${process.pid}`;
const PAYLOADS = [
  `$(touch ${CANARY})`, `\`touch ${CANARY}\``, `;touch ${CANARY}`, `|touch ${CANARY}`, `&&touch ${CANARY}`, `||touch ${CANARY}`,
  `\ntouch ${CANARY}`, `'; touch ${CANARY}; '`, `"; touch ${CANARY}; "`, `$(id)`, '${HOME}', '$IFS', `>${CANARY}`, `<(touch ${CANARY})`,
  '*', '?', '[a-z]', '-rf', '--help', '-v /:/host', `；touch ${CANARY}`, `\u0000touch ${CANARY}`, 'a'.repeat(5000), '../../etc/passwd',
  '/models/../../etc', '~/x', 'a b', '\\', "'", '"', '#', '!', '&', '%0a', '\u202etxt.exe',
];

let k: TestKernel;
let root1: string;
const stats = { fields: 0, tried: 0, refused: 0, acceptedLiteral: 0 };

beforeAll(async () => {
  rmSync(CANARY, { force: true });
  k = await createTestKernel({ plugins: ['cluster', 'vllm', 'matrix-bridge'], config: { plugins: { vllm: { readinessPollMs: 200, memoryFloorPct: 1, stopTimeoutSec: 5 }, cluster: { pollIntervalMs: 60_000 } } } });
  root1 = k.sim!.hostRoot('spark-1');
});
afterAll(async () => {
  await k?.stop();
  console.log(`\n[injection fuzzer] ${stats.fields} fields × ${PAYLOADS.length} payloads = ${stats.tried} attempts: ${stats.refused} refused (4xx), ${stats.acceptedLiteral} accepted and delivered as one literal argument, canary created: ${existsSync(CANARY)}\n`);
  rmSync(CANARY, { force: true });
});

const send = async (method: string, path: string, body: unknown) => {
  const r = await k.fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};

function expectRefusedOrLiteral(status: number, label: string, literalCheck?: () => boolean) {
  stats.tried++;
  if (status >= 400 && status < 500) { stats.refused++; return; }
  expect(status, label).toBeLessThan(300);
  expect(literalCheck?.() ?? false, `${label}: accepted but not delivered literally`).toBe(true);
  stats.acceptedLiteral++;
}

describe('command injection', () => {
  it('refuses hostile Configure Sparks values (address, user) before any connection', async () => {
    for (const field of ['address', 'sshUser', 'id']) {
      stats.fields++;
      for (const p of PAYLOADS) {
        const host = { id: 'spark-1', name: 'S', address: '127.0.0.1', sshUser: 'spark', [field]: p };
        const r = await send('PUT', '/api/config/cluster', { hosts: [host] });
        expectRefusedOrLiteral(r.status, `hosts.${field}=${JSON.stringify(p).slice(0, 40)}`);
      }
    }
  });

  it('refuses hostile plugin settings that reach shell commands (matrix-bridge, vllm, cluster)', async () => {
    const fields: Array<[string, string]> = [
      ['matrix-bridge', 'botUser'], ['matrix-bridge', 'containerName'], ['matrix-bridge', 'image'], ['matrix-bridge', 'sourceDir'], ['matrix-bridge', 'gitBranch'],
      ['vllm', 'launcherPath'], ['vllm', 'containerName'], ['vllm', 'hfHome'], ['cluster', 'modelCacheDir'],
    ];
    for (const [plugin, field] of fields) {
      stats.fields++;
      for (const p of PAYLOADS) {
        const r = await send('PUT', `/api/config/plugins/${plugin}`, { [field]: p });
        expectRefusedOrLiteral(r.status, `${plugin}.${field}=${JSON.stringify(p).slice(0, 40)}`);
      }
    }
    stats.fields++;
    for (const p of PAYLOADS) {
      const r = await send('PUT', '/api/config/plugins/matrix-bridge', { runArgs: ['--env-file=/x', p] });
      let literal = false;
      if (r.status === 200) {
        // Accepted flag-shaped value: run Update and look at what the (fake) docker daemon recorded.
        const job = await send('POST', '/api/plugins/matrix-bridge/update', {});
        await k.app.services.jobs.wait(job.body.id);
        const c = JSON.parse(readFileSync(join(k.sim!.hostRoot('spark-2'), 'state/containers/matrix-bot.json'), 'utf8'));
        literal = [...c.Args, c.Image, ...c.Cmd].includes(p);
        await send('PUT', '/api/config/plugins/matrix-bridge', { runArgs: [] });
      }
      expectRefusedOrLiteral(r.status, `matrix-bridge.runArgs=${JSON.stringify(p).slice(0, 40)}`, () => literal);
    }
  });

  it('refuses hostile model entries, or delivers them to the launcher as one literal argument', async () => {
    const base = { id: 'fuzz', name: 'Fuzz', servedName: 'fuzz', repo: 'Qwen/Qwen3-4B-Instruct-2507', expectedLoadMinutes: 0.05 };
    const calls = () => (existsSync(join(root1, 'state/launcher.calls')) ? readFileSync(join(root1, 'state/launcher.calls'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] }) : []);
    for (const field of ['id', 'servedName', 'repo', 'localPath', 'image', 'chatTemplate', 'args', 'env'] as const) {
      stats.fields++;
      for (const p of PAYLOADS) {
        const entry: Record<string, unknown> = { ...base };
        if (field === 'args') entry.args = ['--max-model-len', p];
        else if (field === 'env') entry.env = { VLLM_X: p };
        else if (field === 'localPath') { delete entry.repo; entry.localPath = p; }
        else if (field === 'chatTemplate') { delete entry.repo; entry.localPath = '/models/x'; entry.chatTemplate = p; }
        else entry[field] = p;
        const r = await send('POST', '/api/plugins/vllm/models', entry);
        if (r.status === 201) {
          // Accepted: run the swap and check what the fake launcher (run by real bash) received.
          const before = calls().length;
          const job = await send('POST', '/api/plugins/vllm/swap', { model: String(entry.id) });
          if (job.status === 202) await k.app.services.jobs.wait(job.body.id);
          const after = calls().slice(before);
          expectRefusedOrLiteral(r.status, `model.${field}=${JSON.stringify(p).slice(0, 40)}`, () => after.some((c) => c.argv.includes(p)));
          await k.fetch(`/api/plugins/vllm/models/${encodeURIComponent(String(entry.id))}`, { method: 'DELETE' });
        } else {
          expectRefusedOrLiteral(r.status, `model.${field}=${JSON.stringify(p).slice(0, 40)}`);
        }
      }
    }
    stats.fields++;
    for (const p of PAYLOADS) expectRefusedOrLiteral((await send('POST', '/api/swap', { model: p })).status, `swap.model=${JSON.stringify(p).slice(0, 40)}`);
  }, 120_000);

  it('never created the canary', () => {
    expect(existsSync(CANARY)).toBe(false);
    expect(stats.tried).toBeGreaterThan(400);
  });
});
