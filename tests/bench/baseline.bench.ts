/**
 * This build against another one, side by side in one run (`BENCH_BASELINE=<git revision> npm run bench baseline`):
 * the revision is checked out in a temporary worktree, built, and both kernels proxy the same fake upstream, measured
 * in rounds in a rotated order (as kernel.bench.ts does), so a change's cost is not confused with the machine's load.
 * Rows: CPU-bound and 20 ms answers at 1, 16 and 64 connections. Without BENCH_BASELINE it says so and measures nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperProcess, kernelProcess, median } from './processes.js';
import { wrk, wrkRounds } from './kernel.bench.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const root = join(import.meta.dirname, '../..');

export async function runBaselineBench(rev: string): Promise<Array<Record<string, unknown>>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  const tree = join(dir, 'tree');
  execFileSync('git', ['worktree', 'add', '--detach', tree, rev], { cwd: root, stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  const upstream = await helperProcess('fake-upstream.mjs', ['0']);
  let now: Awaited<ReturnType<typeof kernelProcess>> | undefined;
  let before: typeof now;
  try {
    now = await kernelProcess(upstream.url);
    before = await kernelProcess(upstream.url, tree);
    const paths: Record<string, string> = { direct: upstream.url, this: `${now.url}/bench`, baseline: `${before.url}/bench` };
    for (const base of Object.values(paths)) for (const kind of ['fast', 'slow']) await wrk(`${base}/${kind}`, 16, '2');
    const rows: Array<Record<string, unknown>> = [];
    for (const [kind, label] of [['fast', 'CPU-bound'], ['slow', '20 ms']] as const) {
      for (const c of [1, 16, 64]) {
        const samples = await wrkRounds(Object.fromEntries(Object.entries(paths).map(([name, base]) => [name, `${base}/${kind}`])), c, ROUNDS);
        const rps = (n: string) => median(samples.get(n)!.map((r) => r.rps));
        const p99 = (n: string) => median(samples.get(n)!.map((r) => r.p99));
        // The spread between rounds of one path is what a difference has to beat.
        const spread = (n: string) => { const xs = samples.get(n)!.map((r) => r.rps); return (Math.max(...xs) - Math.min(...xs)) / median(xs); };
        rows.push({
          upstream: label, conns: c, 'direct rps': Math.round(rps('direct')), 'this rps': Math.round(rps('this')), 'baseline rps': Math.round(rps('baseline')),
          'this/baseline rps': +(rps('this') / rps('baseline')).toFixed(3), 'rps spread this': +spread('this').toFixed(3), 'rps spread baseline': +spread('baseline').toFixed(3),
          'this p99 ms': +p99('this').toFixed(2), 'baseline p99 ms': +p99('baseline').toFixed(2), 'direct p99 ms': +p99('direct').toFixed(2),
        });
      }
    }
    return rows;
  } finally {
    await now?.stop();
    await before?.stop();
    upstream.stop();
    execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: root, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rev = process.env.BENCH_BASELINE;
  if (!rev) console.log('baseline bench: set BENCH_BASELINE=<git revision> to compare this build with that one side by side; nothing measured');
  else {
    console.log(`This build against ${rev} (${execFileSync('git', ['rev-parse', '--short', rev], { cwd: root, encoding: 'utf8' }).trim()}), ${ROUNDS} rounds a row, medians`);
    console.table(await runBaselineBench(rev));
  }
}
