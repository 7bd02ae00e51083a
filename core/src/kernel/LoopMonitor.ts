import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** One stall of the event loop: how long, when, and the plugin behind it when known. */
export interface LoopStall {
  at: string;
  ms: number;
  plugin?: string;
  where?: string;
  /** `measured`: that plugin's callback itself ran this long; `suspected`: the last plugin code that started before
   *  the stall (a promise continuation or a plain timer is not timed on its own). */
  attribution?: 'measured' | 'suspected';
}

export interface LoopMonitorOptions {
  /** A stall at least this long is recorded and named (default 200 ms). */
  stallMs?: number;
  /** How often the lateness probe fires (default 100 ms). */
  probeMs?: number;
}

const KEEP = 20;
/** Sampling interval of the delay histogram; its samples include it, so it is subtracted when reported. */
const RESOLUTION_MS = 10;
/** Delay figures cover the current and the previous window (so a stall stays visible for a while, then ages out). */
const WINDOW_MS = 60_000;

interface Delay { p50: number; p99: number; max: number }

/**
 * Event-loop delay (perf_hooks.monitorEventLoopDelay) plus a stall probe: a short interval timer whose lateness
 * means the loop was blocked. Plugin code the kernel calls is timed where it is called (PluginOwner.exited), which
 * names a blocking plugin exactly; otherwise the stall is blamed, as a suspicion, on the last plugin code entered.
 */
export class LoopMonitor {
  readonly stallMs: number;
  private readonly probeMs: number;
  private histogram?: IntervalHistogram;
  private probe?: NodeJS.Timeout;
  private lastTick = 0;
  private windowStart = 0;
  private previous?: Delay;
  private lastEntered?: { plugin: string; where: string };
  /** A plugin callback that ran over the threshold since the last probe tick. */
  private measured?: { plugin: string; where: string; ms: number };
  private readonly recent: LoopStall[] = [];
  private readonly byPlugin = new Map<string, { count: number; maxMs: number; last: LoopStall }>();
  total = 0;

  constructor(o: LoopMonitorOptions = {}) {
    this.stallMs = o.stallMs ?? 200;
    this.probeMs = o.probeMs ?? 100;
  }

  start(): void {
    if (this.probe) return;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.lastTick = this.windowStart = performance.now();
    this.probe = setInterval(() => this.tick(), this.probeMs);
    this.probe.unref();
  }

  stop(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    this.histogram?.disable();
  }

  entered(plugin: string, where: string): void {
    this.lastEntered = { plugin, where };
  }

  /** A plugin callback returned after `ms` of synchronous work. */
  exited(plugin: string, where: string, ms: number): void {
    if (ms >= this.stallMs && (!this.measured || ms > this.measured.ms)) this.measured = { plugin, where, ms };
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.lastTick - this.probeMs;
    this.lastTick = now;
    if (now - this.windowStart >= WINDOW_MS && this.histogram) {
      this.previous = this.current();
      this.histogram.reset();
      this.windowStart = now;
    }
    const measured = this.measured;
    this.measured = undefined;
    if (late < this.stallMs && !measured) return;
    const ms = Math.round(Math.max(late, measured?.ms ?? 0));
    const who = measured ? { ...measured, attribution: 'measured' as const } : this.lastEntered ? { ...this.lastEntered, attribution: 'suspected' as const } : undefined;
    this.record({ at: new Date().toISOString(), ms, ...(who ? { plugin: who.plugin, where: who.where, attribution: who.attribution } : {}) });
  }

  private record(s: LoopStall): void {
    this.total++;
    this.recent.push(s);
    if (this.recent.length > KEEP) this.recent.shift();
    if (!s.plugin) return;
    const p = this.byPlugin.get(s.plugin) ?? { count: 0, maxMs: 0, last: s };
    p.count++;
    p.maxMs = Math.max(p.maxMs, s.ms);
    p.last = s;
    this.byPlugin.set(s.plugin, p);
  }

  /** Stalls named after one plugin (for /api/plugins). */
  ofPlugin(id: string): { count: number; maxMs: number; last: LoopStall } | undefined {
    return this.byPlugin.get(id);
  }

  pluginCounts(): Array<[string, number]> {
    return [...this.byPlugin].map(([id, p]) => [id, p.count]);
  }

  /** This window's delay in ms (the histogram's samples include its resolution, subtracted here). */
  private current(): Delay {
    const h = this.histogram;
    const ms = (ns: number | undefined) => (ns && Number.isFinite(ns) ? Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS) : 0);
    return { p50: ms(h?.percentile(50)), p99: ms(h?.percentile(99)), max: ms(h?.max) };
  }

  /** Loop delay over the last one to two minutes (ms; p50/p99 of the current window, max of both). */
  delay(): Delay {
    const c = this.current();
    const p = this.previous;
    return p ? { p50: c.p50, p99: Math.max(c.p99, p.p99), max: Math.max(c.max, p.max) } : c;
  }

  /** Loop delay and the recent stalls, for /health. */
  snapshot(): { delayMs: Delay; stallMs: number; stalls: number; lastStall?: LoopStall; recent: LoopStall[] } {
    return {
      delayMs: this.delay(),
      stallMs: this.stallMs,
      stalls: this.total,
      ...(this.recent.length ? { lastStall: this.recent[this.recent.length - 1] } : {}),
      recent: [...this.recent],
    };
  }

  /** Delay quantiles in seconds for /metrics (as `delay()`). */
  delaySeconds(): Array<[string, number]> {
    if (!this.histogram) return [];
    const d = this.delay();
    return [['0.5', d.p50 / 1e3], ['0.99', d.p99 / 1e3], ['1', d.max / 1e3]];
  }
}
