// Load client of the stream benchmark, in its own process: opens argv[3] concurrent streams of argv[4] tokens to the URL
// argv[2], reads them to the end, and prints one JSON line: chunks received, per-chunk delay percentiles (arrival minus
// the upstream's send time `t`, on the shared clock), how many chunks arrived coalesced (in the same read as the stream's
// previous chunk), errors, and the wall time; and the delay p99 of the chunks that arrived once every stream had its
// first chunk (`openP99`): opening 1,024 streams at once is a burst of request set-ups, and this figure is the streams'
// delay without it. Bounded: every stream is abandoned after argv[5] ms.
import { Agent, request } from 'node:http';

const [url, nArg, tokensArg, capArg] = process.argv.slice(2);
const n = Number(nArg), tokens = Number(tokensArg), capMs = Number(capArg ?? 60_000);
const agent = new Agent({ keepAlive: true, maxSockets: n + 16 });
const now = () => performance.timeOrigin + performance.now();
const delays = new Float64Array(n * tokens);
/** Each chunk's arrival time, and when the last stream got its first chunk (every stream open from then on). */
const arrivals = new Float64Array(n * tokens);
let opened = 0, allOpenAt = Infinity;
let chunks = 0, coalesced = 0, errors = 0, done = 0;
const t0 = performance.now();

function one() {
  return new Promise((resolve) => {
    const req = request(url, { agent, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) { errors++; res.resume(); res.on('end', resolve); return; }
      res.setEncoding('utf8');
      let rest = '', first = false;
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
          arrivals[chunks] = at;
          delays[chunks++] = at - Number(ev.slice(k + 4, ev.length - 1));
          if (!first) { first = true; if (++opened === n) allOpenAt = at; }
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
const pctOf = (xs, p) => xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN;
const pct = (p) => pctOf(d, p);
const open = [];
for (let i = 0; i < chunks; i++) if (arrivals[i] > allOpenAt) open.push(delays[i]);
open.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ chunks, coalesced, errors, done, wallMs: performance.now() - t0, p50: pct(50), p99: pct(99), max: d[d.length - 1] ?? NaN, openP99: pctOf(open, 99), openChunks: open.length }) + '\n');
agent.destroy();
