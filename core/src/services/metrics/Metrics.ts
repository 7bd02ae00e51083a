/** Minimal Prometheus text exposition: counters and fixed-bucket histograms, labels escaped. No values from request
 *  bodies or query strings ever become labels (only plugin ids, route templates, status codes, service names). */
const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

type Labels = Record<string, string>;

const keyCache = new Map<string, string>();
/** Label set → exposition string; cached because the same few label sets repeat on every request. */
function key(l: Labels): string {
  let id = '';
  for (const k in l) id += k + '\u0000' + l[k] + '\u0001';
  let hit = keyCache.get(id);
  if (hit === undefined) {
    hit = renderKey(l);
    if (keyCache.size < 10_000) keyCache.set(id, hit);
  }
  return hit;
}

function renderKey(l: Labels): string {
  return Object.entries(l).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  observe(l: Labels, v: number) {
    const k = key(l);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS_MS.forEach((b, i) => { if (v <= b) s!.counts[i]++; });
    s.sum += v;
    s.count++;
  }
}

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly histograms = new Map<string, { help: string; h: Histogram }>();
  private readonly gauges = new Map<string, { help: string; fn: () => Array<[Labels, number]> }>();

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { help, values: new Map() }));
    const k = key(labels);
    c.values.set(k, (c.values.get(k) ?? 0) + by);
  }

  observe(name: string, help: string, labels: Labels, ms: number): void {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = { help, h: new Histogram() }));
    h.h.observe(labels, ms);
  }

  gauge(name: string, help: string, fn: () => Array<[Labels, number]>): void {
    this.gauges.set(name, { help, fn });
  }

  observeHttp(plugin: string, method: string, status: number, ms: number): void {
    this.inc('spark_http_requests_total', 'HTTP requests served', { plugin, method, status: String(status) });
    this.observe('spark_http_request_duration_ms', 'HTTP request duration (ms)', { plugin }, ms);
  }

  observeUpstream(service: string, status: number, ms: number): void {
    this.inc('spark_upstream_requests_total', 'Proxied upstream requests', { service, status: String(status) });
    this.observe('spark_upstream_duration_ms', 'Upstream time to headers (ms)', { service }, ms);
  }

  render(): string {
    const out: string[] = [];
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [k, v] of c.values) out.push(`${name}${k ? `{${k}}` : ''} ${v}`);
    }
    for (const [name, { help, h }] of this.histograms) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      for (const [k, s] of h.series) {
        const sep = k ? `${k},` : '';
        BUCKETS_MS.forEach((b, i) => out.push(`${name}_bucket{${sep}le="${b}"} ${s.counts[i]}`));
        out.push(`${name}_bucket{${sep}le="+Inf"} ${s.count}`, `${name}_sum${k ? `{${k}}` : ''} ${s.sum.toFixed(3)}`, `${name}_count${k ? `{${k}}` : ''} ${s.count}`);
      }
    }
    for (const [name, g] of this.gauges) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`);
      for (const [l, v] of g.fn()) { const k = key(l); out.push(`${name}${k ? `{${k}}` : ''} ${v}`); }
    }
    return out.join('\n') + '\n';
  }
}
