/**
 * A serving slot: one vLLM container on its own port. Slot 1 is the one Spark Control always had (the `vllm` service,
 * the `containerName` and `port` settings); with `maxResident` above 1, slot k serves beside it as service `vllm-k`,
 * container `<containerName>-k` and port `port + k - 1`, each with its own swap record.
 */
import type { VllmConfig } from '../config.js';

/** The most models that serve side by side (the manifest declares a service per slot). */
export const MAX_SLOTS = 3;

export interface Slot {
  index: number;
  /** The topology's service name (its host and, in the simulator, its fake's port). */
  service: string;
  container: string;
  port: number;
  /** ctx.store key of its swap record (slot 1 keeps the file it always had). */
  storeKey: string;
}

export function slotOf(cfg: VllmConfig, index: number): Slot {
  if (index === 1) return { index, service: 'vllm', container: cfg.containerName, port: cfg.port, storeKey: 'swap' };
  return { index, service: `vllm-${index}`, container: `${cfg.containerName}-${index}`, port: cfg.port + index - 1, storeKey: `swap-${index}` };
}

/** The settings as the launch commands of this slot read them: its container name and port. */
export function slotConfig(cfg: VllmConfig, index: number): VllmConfig {
  const s = slotOf(cfg, index);
  return index === 1 ? cfg : { ...cfg, containerName: s.container, port: s.port };
}
