import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics on prom-client, one registry per kernel (tests run several in one process). No values from
 *  request bodies or query strings ever become labels (only plugin ids, route templates, status codes, service names). */
const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

type Labels = Record<string, string>;
type GaugeFn = () => Array<[Labels, number]>;

/** The label values of a call in the metric's (sorted) label order; a missing label is empty, as Prometheus reads it. */
const valuesOf = (names: string[], l: Labels) => names.map((n) => l[n] ?? '');

export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, { names: string[]; c: Counter<string> }>();
  private readonly histograms = new Map<string, { names: string[]; h: Histogram<string> }>();
  private readonly gauges = new Map<string, { help: string; fn: GaugeFn; names?: string; g?: Gauge<string> }>();
  /** Every proxied request is counted twice: its two children are found by one string lookup, as before prom-client. */
  private readonly requestCells = new Map<string, { total: ReturnType<Counter<string>["labels"]>; duration: ReturnType<Histogram<string>["labels"]> }>();

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const { names, c } = this.counter(name, help, Object.keys(labels));
    c.labels(...valuesOf(names, labels)).inc(by);
  }

  observe(name: string, help: string, labels: Labels, ms: number): void {
    const { names, h } = this.histogram(name, help, Object.keys(labels));
    h.labels(...valuesOf(names, labels)).observe(ms);
  }

  /** A gauge read when /metrics is scraped; its label names are those `fn` returns (they may appear only later). */
  gauge(name: string, help: string, fn: GaugeFn): void {
    const old = this.gauges.get(name);
    if (old?.g) this.registry.removeSingleMetric(name);
    this.gauges.set(name, { help, fn });
  }

  /** Requests served and those answered 5xx since start (the history's proxy rate series reads these). */
  readonly httpTotals = { requests: 0, errors: 0 };

  observeHttp(plugin: string, method: string, status: number, ms: number): void {
    this.httpTotals.requests++;
    if (status >= 500) this.httpTotals.errors++;
    const id = `h\u0000${plugin}\u0000${method}\u0000${status}`;
    let cells = this.requestCells.get(id);
    if (!cells) {
      cells = {
        total: this.counter('spark_http_requests_total', 'HTTP requests served', ['method', 'plugin', 'status']).c.labels(method, plugin, String(status)),
        duration: this.histogram('spark_http_request_duration_ms', 'HTTP request duration (ms)', ['plugin']).h.labels(plugin),
      };
      if (this.requestCells.size < 10_000) this.requestCells.set(id, cells);
    }
    cells.total.inc();
    cells.duration.observe(ms);
  }

  observeUpstream(service: string, status: number, ms: number): void {
    const id = `u\u0000${service}\u0000${status}`;
    let cells = this.requestCells.get(id);
    if (!cells) {
      cells = {
        total: this.counter('spark_upstream_requests_total', 'Proxied upstream requests', ['service', 'status']).c.labels(service, String(status)),
        duration: this.histogram('spark_upstream_duration_ms', 'Upstream time to headers (ms)', ['service']).h.labels(service),
      };
      if (this.requestCells.size < 10_000) this.requestCells.set(id, cells);
    }
    cells.total.inc();
    cells.duration.observe(ms);
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    for (const [name, g] of this.gauges) this.refreshGauge(name, g);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter(name: string, help: string, labelNames: string[]) {
    let c = this.counters.get(name);
    if (!c) {
      const names = [...labelNames].sort();
      c = { names, c: new Counter({ name, help, labelNames: names, registers: [this.registry] }) };
      this.counters.set(name, c);
    }
    return c;
  }

  private histogram(name: string, help: string, labelNames: string[]) {
    let h = this.histograms.get(name);
    if (!h) {
      const names = [...labelNames].sort();
      h = { names, h: new Histogram({ name, help, labelNames: names, buckets: BUCKETS_MS, registers: [this.registry] }) };
      this.histograms.set(name, h);
    }
    return h;
  }

  /** Sets a gauge from its function; (re)creates it when the label names it reports change. */
  private refreshGauge(name: string, g: { help: string; fn: GaugeFn; names?: string; g?: Gauge<string> }): void {
    const values = g.fn();
    const names = [...new Set(values.flatMap(([l]) => Object.keys(l)))].sort();
    if (!g.g || g.names !== names.join(',')) {
      if (g.g) this.registry.removeSingleMetric(name);
      g.g = new Gauge({ name, help: g.help, labelNames: names, registers: [this.registry] });
      g.names = names.join(',');
    }
    g.g.reset();
    for (const [l, v] of values) g.g.labels(...valuesOf(names, l)).set(v);
  }
}
