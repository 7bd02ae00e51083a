import { container as rootContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { join } from 'node:path';
import type { Logger } from '../api/types.js';
import { ConfigService } from '../services/config/ConfigService.js';
import { EventBusImpl } from '../services/events/EventBus.js';
import { HealthRegistry } from '../services/health/HealthRegistry.js';
import { HttpService } from '../services/http/HttpService.js';
import { JobRegistry } from '../services/jobs/JobService.js';
import { Metrics } from '../services/metrics/Metrics.js';
import { HistoryStore } from '../services/history/HistoryStore.js';
import { HostKeyStore } from '../services/ssh/hostKeys.js';
import { ensureKeyPair } from '../services/ssh/keyPair.js';
import { SshPool } from '../services/ssh/SshPool.js';
import { Topology } from './Topology.js';

/** Typed DI tokens (Backstage ServiceRef idea): tsyringe stays inside core; plugins only ever see `ctx`. */
function token<T>(id: string): InjectionToken<T> & { readonly __type?: T } {
  return Symbol.for(`spark.core.${id}`) as InjectionToken<T>;
}

export const TOKENS = {
  dataDir: token<string>('dataDir'),
  log: token<Logger>('log'),
  config: token<ConfigService>('config'),
  events: token<EventBusImpl>('events'),
  health: token<HealthRegistry>('health'),
  jobs: token<JobRegistry>('jobs'),
  http: token<HttpService>('http'),
  ssh: token<SshPool>('ssh'),
  hostKeys: token<HostKeyStore>('hostKeys'),
  keyPair: token<ReturnType<typeof ensureKeyPair>>('keyPair'),
  metrics: token<Metrics>('metrics'),
  topology: token<Topology>('topology'),
  history: token<HistoryStore>('history'),
};

export interface SshTuning {
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/** Registers every root service in one place, in dependency order, in a child container per app instance (tests
 *  can run several kernels in one process without bleeding state through the global container). */
export function registerCoreServices(dataDir: string, log: Logger, ssh: SshTuning = {}): DependencyContainer {
  const c = rootContainer.createChildContainer();
  const r = <T>(tok: InjectionToken<T>, v: T) => c.registerInstance(tok, v);
  r(TOKENS.dataDir, dataDir);
  r(TOKENS.log, log);
  r(TOKENS.config, new ConfigService(dataDir, log.child({ area: 'config' })));
  const events = new EventBusImpl();
  r(TOKENS.events, events);
  r(TOKENS.metrics, new Metrics());
  r(TOKENS.history, new HistoryStore(dataDir, log.child({ area: 'history' })));
  r(TOKENS.health, new HealthRegistry(join(dataDir, 'connectivity.jsonl'), events, log.child({ area: 'health' })));
  r(TOKENS.jobs, new JobRegistry(events, log.child({ area: 'jobs' })));
  r(TOKENS.http, new HttpService(log.child({ area: 'http' }), c.resolve(TOKENS.metrics)));
  const keyPair = ensureKeyPair(dataDir);
  r(TOKENS.keyPair, keyPair);
  const hostKeys = new HostKeyStore(dataDir);
  r(TOKENS.hostKeys, hostKeys);
  const topology = new Topology();
  r(TOKENS.topology, topology);
  r(TOKENS.ssh, new SshPool({
    resolveHost: (id) => topology.host(id), privateKey: keyPair.privateKey, publicKey: keyPair.publicKey, hostKeys, log: log.child({ area: 'ssh' }), ...ssh,
  }));
  return c;
}
