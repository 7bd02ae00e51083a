/**
 * What a slot's swap asks of the residency arbiter when models share the Sparks (maxResident > 1): the memory a launch
 * will hold, so the memory phase waits for that much instead of a share of the whole Spark, and the serve arguments
 * that keep vLLM to it (it otherwise takes 90% of the unified memory whatever the weights weigh).
 */
import type { CatalogEntry } from '../catalog.js';

export interface SwapSharing {
  /** Bytes of each Spark's memory the launch of `model` will hold (undefined: not known, the memory floor applies). */
  needBytes(model: CatalogEntry): Promise<number | undefined>;
  /** Extra `vllm serve` arguments for the launch (`--gpu-memory-utilization` sized to what it was given). */
  serveArgs(model: CatalogEntry): Promise<string[]>;
}
