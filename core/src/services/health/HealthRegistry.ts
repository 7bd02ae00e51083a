import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HealthCheckResult, HealthCheckSpec, HealthEntry, HealthTransition, Logger } from '../../api/types.js';
import { writeFileAtomicSync } from '../config/atomicWrite.js';
import type { EventBusImpl } from '../events/EventBus.js';

interface Registered {
  plugin: string;
  spec: HealthCheckSpec;
  timer?: NodeJS.Timeout;
  running?: Promise<HealthEntry>;
}

const DEFAULT_INTERVAL = 15_000;
const DEFAULT_TIMEOUT = 3_000;

/** Scheduled health checks with cached results, plus the connectivity log: every up/down transition of every
 *  check, persisted (JSON lines, bounded) so outages are visible after a restart. */
export class HealthRegistry {
  private readonly checks = new Map<string, Registered>();
  private readonly entries = new Map<string, HealthEntry>();
  private log: HealthTransition[] = [];
  private readonly maxLog: number;

  constructor(
    private readonly logFile: string,
    private readonly events: EventBusImpl,
    private readonly logger: Logger,
    opts: { maxTransitions?: number } = {},
  ) {
    this.maxLog = opts.maxTransitions ?? 2000;
    mkdirSync(dirname(logFile), { recursive: true });
    if (existsSync(logFile)) {
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try { this.log.push(JSON.parse(line)); } catch { /* a torn last line after a crash is skipped */ }
      }
      this.log = this.log.slice(-this.maxLog);
    }
  }

  private key(plugin: string, name: string) {
    return `${plugin}/${name}`;
  }

  register(plugin: string, spec: HealthCheckSpec): void {
    const k = this.key(plugin, spec.name);
    if (this.checks.has(k)) throw new Error(`health check ${k} registered twice`);
    this.checks.set(k, { plugin, spec });
  }

  /** Begin scheduling a plugin's checks (when it starts running). */
  start(plugin: string): void {
    for (const r of this.checks.values()) {
      if (r.plugin !== plugin || r.timer) continue;
      const every = r.spec.intervalMs ?? DEFAULT_INTERVAL;
      const tick = () => { void this.runCheck(r).catch(() => {}); };
      setTimeout(tick, 10).unref();
      r.timer = setInterval(tick, every);
      r.timer.unref();
    }
  }

  /** Stop and forget a plugin's checks (stop/restart); its last entries are dropped. */
  remove(plugin: string): void {
    for (const [k, r] of this.checks) {
      if (r.plugin !== plugin) continue;
      if (r.timer) clearInterval(r.timer);
      this.checks.delete(k);
      this.entries.delete(k);
    }
  }

  async runNow(plugin: string, name: string): Promise<HealthEntry | undefined> {
    const r = this.checks.get(this.key(plugin, name));
    return r ? this.runCheck(r) : undefined;
  }

  private runCheck(r: Registered): Promise<HealthEntry> {
    if (r.running) return r.running; // never overlap a check with itself
    const timeoutMs = r.spec.timeoutMs ?? DEFAULT_TIMEOUT;
    const p = (async () => {
      const ac = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let result: HealthCheckResult;
      try {
        result = await Promise.race([
          r.spec.check(ac.signal),
          new Promise<HealthCheckResult>((resolve) => {
            timer = setTimeout(() => { ac.abort(); resolve({ status: 'down', detail: `no answer within ${timeoutMs} ms` }); }, timeoutMs);
          }),
        ]);
      } catch (e) {
        result = { status: 'down', detail: (e as Error).message };
      } finally {
        if (timer) clearTimeout(timer);
      }
      return this.record(r.plugin, r.spec, result);
    })();
    r.running = p;
    p.finally(() => { r.running = undefined; }).catch(() => {});
    return p;
  }

  report(plugin: string, name: string, result: HealthCheckResult, fallback?: Partial<HealthCheckSpec>): HealthEntry {
    const r = this.checks.get(this.key(plugin, name));
    return this.record(plugin, r?.spec ?? ({ name, ...fallback } as HealthCheckSpec), result);
  }

  private record(plugin: string, spec: HealthCheckSpec, result: HealthCheckResult): HealthEntry {
    const k = this.key(plugin, spec.name);
    const prev = this.entries.get(k);
    const now = new Date().toISOString();
    const changed = !prev || prev.status !== result.status;
    const entry: HealthEntry = {
      plugin, name: spec.name, ...(spec.hostId ? { hostId: spec.hostId } : {}), ...(spec.service ? { service: spec.service } : {}),
      status: result.status, ...(result.detail ? { detail: result.detail } : {}), ...(result.data ? { data: result.data } : {}),
      since: changed ? now : prev!.since, checkedAt: now,
    };
    this.entries.set(k, entry);
    if (changed) {
      const t: HealthTransition = {
        plugin, name: spec.name, ...(spec.hostId ? { hostId: spec.hostId } : {}), ...(spec.service ? { service: spec.service } : {}),
        from: prev?.status ?? 'unknown', to: result.status, at: now,
        ...(prev ? { durationMs: Date.parse(now) - Date.parse(prev.since) } : {}), ...(result.detail ? { detail: result.detail.slice(0, 300) } : {}),
      };
      this.appendTransition(t);
      this.events.emit('health.changed', entry);
    }
    return entry;
  }

  private appendTransition(t: HealthTransition): void {
    this.log.push(t);
    try {
      if (this.log.length > this.maxLog * 1.5) {
        this.log = this.log.slice(-this.maxLog);
        writeFileAtomicSync(this.logFile, this.log.map((x) => JSON.stringify(x)).join('\n') + '\n', 0o644);
      } else {
        appendFileSync(this.logFile, JSON.stringify(t) + '\n');
      }
    } catch (e) {
      this.logger.warn('could not persist connectivity log', { error: (e as Error).message });
    }
  }

  get(plugin: string, name: string): HealthEntry | undefined {
    return this.entries.get(this.key(plugin, name));
  }

  list(plugin?: string): HealthEntry[] {
    return [...this.entries.values()].filter((e) => !plugin || e.plugin === plugin);
  }

  transitions(opts: { limit?: number; hostId?: string; plugin?: string } = {}): HealthTransition[] {
    const l = this.log.filter((t) => (!opts.hostId || t.hostId === opts.hostId) && (!opts.plugin || t.plugin === opts.plugin));
    return l.slice(-(opts.limit ?? 500));
  }

  /** Overall status: down if a critical check is down, degraded if anything else is not up. */
  overall(): 'up' | 'degraded' | 'down' {
    let worst: 'up' | 'degraded' | 'down' = 'up';
    for (const [k, e] of this.entries) {
      const critical = this.checks.get(k)?.spec.critical;
      if (e.status === 'down' && critical) return 'down';
      if (e.status !== 'up') worst = 'degraded';
    }
    return worst;
  }

  stopAll(): void {
    for (const r of this.checks.values()) if (r.timer) clearInterval(r.timer);
  }
}
