// Load client of the stream benchmark, in its own process: opens argv[3] concurrent streams of argv[4] tokens to the URL
// argv[2], reads them to the end, and prints one JSON line: chunks received, per-chunk delay percentiles (arrival minus
// the upstream's send time `t`, on the shared clock), how many chunks arrived coalesced (in the same read as the stream's
// previous chunk), errors, and the wall time. Bounded: every stream is abandoned after argv[5] ms.
import { Agent, request } from 'node:http';

const [url, nArg, tokensArg, capArg] = process.argv.slice(2);
const n = Number(nArg), tokens = Number(tokensArg), capMs = Number(capArg ?? 60_000);
const agent = new Agent({ keepAlive: true, maxSockets: n + 16 });
const now = () => performance.timeOrigin + performance.now();
const delays = new Float64Array(n * tokens);
let chunks = 0, coalesced = 0, errors = 0, done = 0;
const t0 = performance.now();

function one() {
  return new Promise((resolve) => {
    const req = request(url, { agent, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) { errors++; res.resume(); res.on('end', resolve); return; }
      res.setEncoding('utf8');
      let rest = '';
      res.on('data', (d) => {
        const at = now();
        let inThisRead = 0;
        rest += d;
        let i;
        while ((i = rest.indexOf('\n\n')) >= 0) {
          const ev = rest.slice(0, i);
          rest = rest.slice(i + 2);
          const k = ev.lastIndexOf('"t":');
          if (k < 0) continue;
          delays[chunks++] = at - Number(ev.slice(k + 4, ev.length - 1));
          if (++inThisRead > 1) coalesced++;
        }
      });
      res.on('end', () => { done++; resolve(); });
      res.on('error', () => { errors++; resolve(); });
    });
    req.setTimeout(capMs, () => { errors++; req.destroy(); resolve(); });
    req.on('error', () => { errors++; resolve(); });
    req.end('{"model":"bench","stream":true,"messages":[{"role":"user","content":"hi"}]}');
  });
}

await Promise.all(Array.from({ length: n }, one));
const d = Array.from(delays.subarray(0, chunks)).sort((a, b) => a - b);
const pct = (p) => d.length ? d[Math.min(d.length - 1, Math.floor((p / 100) * d.length))] : NaN;
process.stdout.write(JSON.stringify({ chunks, coalesced, errors, done, wallMs: performance.now() - t0, p50: pct(50), p99: pct(99), max: d[d.length - 1] ?? NaN }) + '\n');
agent.destroy();
