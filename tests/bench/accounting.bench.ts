/**
 * Accounting benchmark (issue 26): what per-client limits and usage counting add to the proxy, side by side in one
 * run on one machine. Four paths to the same fake model server (20 ms per answer, a vLLM-shaped JSON with `usage`):
 * (a) direct; (b) Spark Control with accounting on and the vLLM plugin's usage tap reading every answer's tokens into
 * c.usage, as a completion is counted; (c) the same kernel and plugin with SPARK_ACCOUNTING=off (the kernel neither
 * limits nor counts; the plugin's tap still reads the answer); (d) SPARK_ACCOUNTING=off without the tap, the proxy as
 * it was before usage. Each kernel runs in its own process from the built dist/ (accounting-under-test.mjs). Load is
 * wrk on loopback, bounded in time; every row is measured in rounds with the paths in a rotated order, and the median
 * is reported. Target: accounting on within 5 % of off on the 20 ms rows.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { KERNEL_NODE_FLAGS } from '../../core/src/kernel/nodeFlags.js';
import { helperProcess, median } from './processes.js';
import { wrk, wrkRounds, type WrkResult } from './kernel.bench.js';

/** One kernel under test (accounting-under-test.mjs from the built dist/) with its own environment. */
async function kernel(upstreamUrl: string, env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const p = spawn(process.execPath, [...KERNEL_NODE_FLAGS, join(import.meta.dirname, 'accounting-under-test.mjs'), upstreamUrl], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPARK_LOG_LEVEL: 'warn', ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout!.once('data', (d) => resolve(String(d).trim()));
    p.once('exit', (code) => reject(new Error(`kernel under test exited with ${code}`)));
  });
  return { url, stop: () => new Promise((r) => { if (p.exitCode !== null) return r(); p.once('exit', () => r()); p.kill('SIGTERM'); }) };
}

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: join(import.meta.dirname, '../..') });
const upstream = await helperProcess('usage-upstream.mjs', []);
const started: Array<{ stop(): Promise<void> }> = [];
// Whatever fails below, every process this bench started is stopped.
const stopAll = async () => { await Promise.all(started.map((p) => p.stop())); upstream.stop(); };
const start = async (env: Record<string, string>) => { const k = await kernel(upstream.url, env); started.push(k); return k; };
try {
  const on = await start({ BENCH_USAGE_TAP: '1' });
  const off = await start({ BENCH_USAGE_TAP: '1', SPARK_ACCOUNTING: 'off' });
  const bare = await start({ SPARK_ACCOUNTING: 'off' });
  const paths: Record<string, string> = { direct: `${upstream.url}/x`, 'accounting on': `${on.url}/bench/x`, 'accounting off': `${off.url}/bench/x`, 'off, no tap': `${bare.url}/bench/x` };
  for (const url of Object.values(paths)) await wrk(url, 16, '2'); // warm-up: JIT, pools

  type Row = Record<string, number | string>;
  const rows: Row[] = [];
  for (const conns of [1, 16, 64]) {
    const samples = await wrkRounds(paths, conns, ROUNDS);
    const m = (name: string, f: keyof WrkResult) => median(samples.get(name)!.map((r) => r[f]));
    const row: Row = { upstream: '20 ms', conns, rounds: ROUNDS };
    for (const name of Object.keys(paths)) {
      row[`${name} rps`] = Math.round(m(name, 'rps'));
      row[`${name} p50`] = +m(name, 'p50').toFixed(2);
      row[`${name} p99`] = +m(name, 'p99').toFixed(2);
      const errors = samples.get(name)!.reduce((n, r) => n + r.errors, 0);
      if (errors) row[`${name} errors`] = errors;
    }
    rows.push(row);
  }

  const pct = (a: number, b: number) => +(((a - b) / b) * 100).toFixed(1);
  console.log('Latency p50 / p99 (ms) and requests/s, 20 ms upstream');
  console.table(rows.map((r) => Object.fromEntries([['conns', r.conns], ...Object.keys(paths).map((p) => [p, `${r[`${p} p50`]} / ${r[`${p} p99`]} ms, ${r[`${p} rps`]} rps`])])));
  console.log('Accounting on vs off (same kernel, same plugin tap)');
  console.table(rows.map((r) => {
    const added = (p: string, q: string) => +((r[`${p} ${q}`] as number) - (r[`direct ${q}`] as number)).toFixed(2);
    return {
      conns: r.conns,
      'p50 on vs off %': pct(r['accounting on p50'] as number, r['accounting off p50'] as number),
      'p99 on vs off %': pct(r['accounting on p99'] as number, r['accounting off p99'] as number),
      'rps on vs off %': pct(r['accounting on rps'] as number, r['accounting off rps'] as number),
      'p50 added on / off / no tap (ms)': `${added('accounting on', 'p50')} / ${added('accounting off', 'p50')} / ${added('off, no tap', 'p50')}`,
      'p99 added on / off / no tap (ms)': `${added('accounting on', 'p99')} / ${added('accounting off', 'p99')} / ${added('off, no tap', 'p99')}`,
      'met (p50 and p99 within 5 %)': Math.abs(pct(r['accounting on p50'] as number, r['accounting off p50'] as number)) < 5 && pct(r['accounting on p99'] as number, r['accounting off p99'] as number) < 5 ? 'yes' : 'NO',
    };
  }));
  // The tap did read every answer: the kernel with accounting on counted 12 + 7 tokens per request it proxied.
  const counted = async (url: string) => ((await (await fetch(`${url}/api/usage?plugin=bench`)).json()) as { rows: Array<{ subject: string; counter: string; value: number }> }).rows
    .filter((r) => r.subject === 'bench-model').reduce<Record<string, number>>((o, r) => ({ ...o, [r.counter]: (o[r.counter] ?? 0) + r.value }), {});
  const onCounts = await counted(on.url);
  console.log(`counted with accounting on: ${JSON.stringify(onCounts)} (prompt/request ${(onCounts.prompt_tokens / onCounts.requests).toFixed(2)}); with it off: ${JSON.stringify(await counted(off.url))}`);
  console.log(JSON.stringify({ rows }, null, 2));
} finally {
  await stopAll();
}
