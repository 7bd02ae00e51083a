/**
 * Token-stream benchmark (issue 27, item 1): many long-lived OpenAI chat streams at once, as a Spark's users push them.
 * One upstream (stream-upstream.mjs) advances every open stream by one chunk per tick (50 tokens/s by default, like
 * vLLM's engine step), and one client process (stream-client.mjs) opens 64, 256 and 1,024 concurrent streams through
 * each path: direct, Spark Control (built, run as `npm start` runs it), the bare Node forwarder (node-floor.mjs),
 * a Node process copying bytes without parsing HTTP (tcp-pipe.mjs: the least any Node proxy can spend per chunk) and
 * nginx (buffering off). Every row is measured
 * in rounds with the paths in a rotated order; the median and the spread (min–max) are reported. Per row: chunks/s
 * delivered, each chunk's delay from the upstream's write to the client's read (p50/p99) and what the proxy adds to
 * direct's, chunks that arrived coalesced with the stream's previous one, the proxy's CPU seconds per 1,000 chunks, and
 * its peak RSS. Loopback only; every stream is bounded in length and time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { childPids, cpuSecondsOf, helperProcess, kernelProcess, median, rssOf, startNginx } from './processes.js';
import { markdownTable, writeSection, type Cell } from './report.js';

const RATE = Number(process.env.BENCH_TOKENS_PER_S ?? 50);
/** All streams together get at most this many chunks/s: a GB10 decoding 1,024 sequences does not give each 50 tokens/s,
 *  and at 51,200 chunks/s the client and upstream alone saturate two cores, so the row would measure the machine. */
const AGGREGATE = Number(process.env.BENCH_AGGREGATE_CHUNKS_PER_S ?? 12_800);
const rateFor = (n: number) => Math.min(RATE, AGGREGATE / n);
const TOKENS = Number(process.env.BENCH_STREAM_TOKENS ?? 150);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const STREAMS = (process.env.BENCH_STREAMS ?? '64,256,1024').split(',').map(Number);

interface ClientResult { chunks: number; coalesced: number; errors: number; done: number; wallMs: number; p50: number; p99: number; max: number; openP99: number }
interface Sample extends ClientResult { cpuPer1000: number; rssMB: number }

function runClient(base: string, n: number): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const cap = Math.ceil((TOKENS / rateFor(n)) * 1000 * 4 + 20_000);
    const p = spawn(process.execPath, [join(import.meta.dirname, 'stream-client.mjs'), `${base}/${rateFor(n)}`, String(n), String(TOKENS), String(cap)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`stream client exited with ${code}`))));
  });
}

/** One path at one row: CPU and RSS of the proxy's processes around one client run. */
async function measure(url: string, n: number, pids: number[]): Promise<Sample> {
  const cpu0 = pids.reduce((s, p) => s + cpuSecondsOf(p), 0);
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, pids.reduce((s, p) => s + rssOf(p), 0)); }, 100);
  const r = await runClient(url, n);
  clearInterval(sampler);
  const cpu = pids.reduce((s, p) => s + cpuSecondsOf(p), 0) - cpu0;
  return { ...r, cpuPer1000: pids.length ? (cpu / r.chunks) * 1000 : NaN, rssMB: pids.length ? peak / 1048576 : NaN };
}

const fmt = (xs: number[], digits = 2): string => {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (!ok.length) return '—';
  const m = median(ok).toFixed(digits);
  return ok.length > 1 ? `${m} (${Math.min(...ok).toFixed(digits)}–${Math.max(...ok).toFixed(digits)})` : m;
};

const upstream = await helperProcess('stream-upstream.mjs', ['0', String(TOKENS)]);
const k = await kernelProcess(upstream.url);
const nginx = startNginx(upstream.port);
await new Promise((r) => setTimeout(r, 300));
const nginxPids = nginx ? [nginx.pid, ...childPids(nginx.pid)] : [];
// The bare Node forwarder (node:http + undici dispatch, nothing else): what any Node proxy costs per chunk here.
const floor = await helperProcess('node-floor.mjs', [upstream.url]);
// Bytes copied between sockets, no HTTP at all: the CPU per chunk below which no Node proxy can go on this machine.
const pipe = await helperProcess('tcp-pipe.mjs', [upstream.url]);
const paths: Record<string, { url: string; pids: number[] }> = {
  direct: { url: `${upstream.url}/stream`, pids: [] },
  spark: { url: `${k.url}/bench/stream`, pids: [k.pid] },
  'node floor': { url: `${floor.url}/stream`, pids: [floor.pid] },
  'tcp pipe': { url: `${pipe.url}/stream`, pids: [pipe.pid] },
  ...(nginx ? { nginx: { url: `http://127.0.0.1:${nginx.port}/stream`, pids: nginxPids } } : {}),
};
for (const p of Object.values(paths)) await runClient(p.url, 64); // warm-up: JIT, pools, nginx's keepalive

const rows: Array<Record<string, Cell>> = [];
const targets: Array<Record<string, Cell>> = [];
for (const n of STREAMS) {
  const entries = Object.entries(paths);
  const samples = new Map<string, Sample[]>(entries.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, p] = entries[(i + round) % entries.length];
      samples.get(name)!.push(await measure(p.url, n, p.pids));
    }
  }
  const direct = samples.get('direct')!;
  const added = (s: Sample[], key: 'p50' | 'p99' | 'openP99') => s.map((x, i) => x[key] - direct[i][key]);
  for (const [name, s] of samples) {
    rows.push({
      streams: n, 'tokens/s each': rateFor(n), path: name,
      'chunks/s': fmt(s.map((x) => x.chunks / (x.wallMs / 1000)), 0),
      'delay p50 ms': fmt(s.map((x) => x.p50)),
      'delay p99 ms': fmt(s.map((x) => x.p99)),
      'added p50 ms': name === 'direct' ? '—' : fmt(added(s, 'p50')),
      'added p99 ms': name === 'direct' ? '—' : fmt(added(s, 'p99')),
      'added p99, all open ms': name === 'direct' ? '—' : fmt(added(s, 'openP99')),
      'coalesced %': fmt(s.map((x) => (100 * x.coalesced) / Math.max(1, x.chunks))),
      'CPU s / 1000 chunks': fmt(s.map((x) => x.cpuPer1000), 4),
      'RSS MB': fmt(s.map((x) => x.rssMB), 1),
      errors: s.reduce((t, x) => t + x.errors, 0),
    });
  }
  const spark = samples.get('spark')!;
  const ng = samples.get('nginx');
  const nodeFloor = samples.get('node floor')!;
  const tcpPipe = samples.get('tcp pipe')!;
  const sparkAdded = median(added(spark, 'p99'));
  if (ng) {
    const ngAdded = median(added(ng, 'p99'));
    // Below 1 ms both are within this machine's timer noise: the ratio of two noise figures says nothing.
    const ratio = Math.max(sparkAdded, 1) / Math.max(ngAdded, 1);
    targets.push({ target: `${n} streams: added p99 ≤ 1.5× nginx's (floored at 1 ms)`, spark: sparkAdded.toFixed(2), 'node floor': median(added(nodeFloor, 'p99')).toFixed(2), 'tcp pipe': median(added(tcpPipe, 'p99')).toFixed(2), nginx: ngAdded.toFixed(2), ratio: ratio.toFixed(2), met: ratio <= 1.5 ? 'yes' : 'NO' });
    const cpuRatio = median(spark.map((x) => x.cpuPer1000)) / median(ng.map((x) => x.cpuPer1000));
    targets.push({ target: `${n} streams: CPU per chunk ≤ 2× nginx's`, spark: median(spark.map((x) => x.cpuPer1000)).toFixed(4), 'node floor': median(nodeFloor.map((x) => x.cpuPer1000)).toFixed(4), 'tcp pipe': median(tcpPipe.map((x) => x.cpuPer1000)).toFixed(4), nginx: median(ng.map((x) => x.cpuPer1000)).toFixed(4), ratio: cpuRatio.toFixed(2), met: cpuRatio <= 2 ? 'yes' : 'NO' });
  }
  if (n === 1024) {
    const rss = median(spark.map((x) => x.rssMB));
    targets.push({ target: '1,024 streams: Spark Control RSS < 300 MB', spark: rss.toFixed(1), 'node floor': median(nodeFloor.map((x) => x.rssMB)).toFixed(1), 'tcp pipe': median(tcpPipe.map((x) => x.rssMB)).toFixed(1), nginx: ng ? median(ng.map((x) => x.rssMB)).toFixed(1) : '—', ratio: '—', met: rss < 300 ? 'yes' : 'NO' });
  }
}
nginx?.stop();
floor.stop();
pipe.stop();
await k.stop();
upstream.stop();

console.log(`Token streams: ${RATE} tokens/s per stream (at most ${AGGREGATE} chunks/s in all), ${TOKENS} chunks per stream, ${ROUNDS} rounds (median, min–max)`);
console.table(rows);
console.table(targets);
writeSection('streams', 'Token streams (tests/bench/streams.bench.ts)',
  `${RATE} tokens/s per stream, at most ${AGGREGATE} chunks/s in all (the rate each stream got is in the table), ${TOKENS} chunks per stream, ${ROUNDS} rounds, paths rotated; median (min–max). Delay: from the upstream's write of a chunk to the client's read of it; "added" is the path's figure less direct's in the same round. "All open": the chunks that arrived once every stream had its first chunk, i.e. without the burst of opening them all at once (the goal rows use the figure over every chunk). CPU and RSS are the proxy's own processes (nginx: master + worker). "tcp pipe" copies bytes between sockets and parses no HTTP: the least a Node process spends per chunk here.\n\n${markdownTable(rows)}\n${markdownTable(targets)}`);
