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

/** One histogram series; `counts` are cumulative (Prometheus `le` buckets). */
class Series {
  readonly counts = BUCKETS_MS.map(() => 0);
  sum = 0;
  count = 0;
  add(v: number): void {
    for (let i = BUCKETS_MS.length - 1; i >= 0 && v <= BUCKETS_MS[i]; i--) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

class Histogram {
  readonly series = new Map<string, Series>();
  seriesFor(l: Labels): Series {
    const k = key(l);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = new Series()));
    return s;
  }
}

/** A counter's value for one label set. */
interface Cell { v: number }

/** The cells one request updates, found by one string lookup (every proxied request is counted twice). */
interface RequestCells { total: Cell; duration: Series }

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, Cell> }>();
  private readonly requestCells = new Map<string, RequestCells>();
  private readonly histograms = new Map<string, { help: string; h: Histogram }>();
  private readonly gauges = new Map<string, { help: string; fn: () => Array<[Labels, number]> }>();

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    this.cell(name, help, labels).v += by;
  }

  observe(name: string, help: string, labels: Labels, ms: number): void {
    this.series(name, help, labels).add(ms);
  }

  private cell(name: string, help: string, labels: Labels): Cell {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { help, values: new Map() }));
    const k = key(labels);
    let cell = c.values.get(k);
    if (!cell) c.values.set(k, (cell = { v: 0 }));
    return cell;
  }

  private series(name: string, help: string, labels: Labels): Series {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = { help, h: new Histogram() }));
    return h.h.seriesFor(labels);
  }

  gauge(name: string, help: string, fn: () => Array<[Labels, number]>): void {
    this.gauges.set(name, { help, fn });
  }

  observeHttp(plugin: string, method: string, status: number, ms: number): void {
    const cells = this.requestCells.get(`h\u0000${plugin}\u0000${method}\u0000${status}`) ?? this.remember(`h\u0000${plugin}\u0000${method}\u0000${status}`, {
      total: this.cell('spark_http_requests_total', 'HTTP requests served', { plugin, method, status: String(status) }),
      duration: this.series('spark_http_request_duration_ms', 'HTTP request duration (ms)', { plugin }),
    });
    cells.total.v++;
    cells.duration.add(ms);
  }

  observeUpstream(service: string, status: number, ms: number): void {
    const cells = this.requestCells.get(`u\u0000${service}\u0000${status}`) ?? this.remember(`u\u0000${service}\u0000${status}`, {
      total: this.cell('spark_upstream_requests_total', 'Proxied upstream requests', { service, status: String(status) }),
      duration: this.series('spark_upstream_duration_ms', 'Upstream time to headers (ms)', { service }),
    });
    cells.total.v++;
    cells.duration.add(ms);
  }

  private remember(id: string, cells: RequestCells): RequestCells {
    if (this.requestCells.size < 10_000) this.requestCells.set(id, cells);
    return cells;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [k, cell] of c.values) out.push(`${name}${k ? `{${k}}` : ''} ${cell.v}`);
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
