import type { ExtensionPoint, Logger, MemoryReservation } from '../api/types.js';
import type { ConfigService } from '../services/config/ConfigService.js';
import type { EventBusImpl } from '../services/events/EventBus.js';
import type { HealthRegistry } from '../services/health/HealthRegistry.js';
import type { HttpService } from '../services/http/HttpService.js';
import type { JobRegistry } from '../services/jobs/JobService.js';
import type { Metrics } from '../services/metrics/Metrics.js';
import type { HistoryStore } from '../services/history/HistoryStore.js';
import type { HostKeyStore } from '../services/ssh/hostKeys.js';
import type { SshPool } from '../services/ssh/SshPool.js';
import type { Topology } from './Topology.js';

/** The root services a plugin scope is built from (resolved once from the DI container). */
export interface KernelServices {
  log: Logger;
  config: ConfigService;
  events: EventBusImpl;
  health: HealthRegistry;
  jobs: JobRegistry;
  http: HttpService;
  ssh: SshPool;
  hostKeys: HostKeyStore;
  keyPair: { publicKey: string; privateKeyPath: string; publicKeyPath: string };
  metrics: Metrics;
  history: HistoryStore;
  topology: Topology;
  simulated: boolean;
  jsonSchemaOf(pluginId: string): unknown;
  useExtension<T>(consumer: string, point: ExtensionPoint<T>): T | undefined;
  /** The running plugins' declared services that hold memory (ClusterView.memoryReservations). */
  memoryReservations(): MemoryReservation[];
}
