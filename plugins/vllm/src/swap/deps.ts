/**
 * What every part of the swap works with: the plugin's context, what the coordinator hands the controller, and the pieces
 * the controller builds once (its record, its plan, its SSH, its events, its log tail). One object, so a phase
 * function's signature says nothing but "a swap's parts".
 */
import type { PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import type { SwapSharing } from './sharing.js';
import type { VllmSwapHooks } from '../hooks.js';
import type { InflightRequests } from '../inflight.js';
import type { SwapEvents } from './events.js';
import type { JobSsh } from './jobSsh.js';
import type { LogTail } from './logTail.js';
import type { SwapPlan } from './plan.js';
import type { SwapState } from './state.js';

export interface SwapDeps {
  ctx: PluginContext<VllmConfig>;
  /** The settings as this slot's commands read them (its container name and port: slot.ts). */
  cfg(): VllmConfig;
  /** Set when models share the Sparks (maxResident > 1): what a launch of `model` needs of the head's memory, and the
   *  serve arguments that hold it to that. */
  sharing?: SwapSharing;
  hooks: VllmSwapHooks;
  catalog: () => CatalogEntry[];
  inflight: InflightRequests;
  /** The fit estimate's sentence for a model, logged in preflight so a later out-of-memory failure has its likely cause
   *  next to it. Advisory: an estimate never blocks a swap. */
  fitOf?: (model: CatalogEntry) => Promise<string>;
  state: SwapState;
  plan: SwapPlan;
  ssh: JobSsh;
  events: SwapEvents;
  /** One for the controller: a failed launch's last tail continues from the readiness wait's. */
  logTail: LogTail;
}
