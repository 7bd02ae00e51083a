import type { JsonStore, PluginContext } from '@spark-control/plugin-api';
import type { LevelResult } from './runLevel.js';

/** What the swap launched the benchmarked model with: the catalog entry's args and image, its tensor parallel size,
 *  and the context vLLM reported (`max_model_len` of /v1/models, null when it did not say). */
export interface LaunchFacts {
  args: string[]; image: string; tensorParallel: number; maxModelLen: number | null;
  /** `swap`: the entry as the swap that started the model read it; `catalog`: the entry now (a model adopted or
   *  started before launches were recorded — an edit since its launch would show here). */
  source: 'swap' | 'catalog';
}

/** One stored benchmark run. */
export interface BenchmarkRun {
  id: string;
  /** ISO time the run started. */
  at: string;
  modelId: string;
  servedName: string;
  vllmVersion: string | null;
  launch: LaunchFacts;
  settings: { concurrency: number[]; count: number; maxTokens: number };
  levels: LevelResult[];
  jobId: string;
}

/** The last `maxRuns` runs, oldest first, in one versioned JSON file (`benchmarks.json`). */
export class BenchmarkStore {
  private readonly file: JsonStore<BenchmarkRun[]>;
  private runs: BenchmarkRun[];

  constructor(ctx: Pick<PluginContext, 'store' | 'log'>, readonly maxRuns = 200) {
    this.file = ctx.store<BenchmarkRun[]>('benchmarks', { version: 1 });
    try {
      this.runs = this.file.read() ?? [];
    } catch (e) {
      ctx.log.warn('benchmark runs unreadable; starting with none', { error: (e as Error).message });
      this.runs = [];
    }
  }

  /** Newest first; only the runs of `modelId` when given. */
  list(modelId?: string): BenchmarkRun[] {
    return this.runs.filter((r) => !modelId || r.modelId === modelId).reverse();
  }

  async add(run: BenchmarkRun): Promise<void> {
    this.runs = [...this.runs, run].slice(-this.maxRuns);
    await this.file.write(this.runs);
  }

  /** False when there is no run with this id. */
  async remove(id: string): Promise<boolean> {
    const kept = this.runs.filter((r) => r.id !== id);
    if (kept.length === this.runs.length) return false;
    this.runs = kept;
    await this.file.write(this.runs);
    return true;
  }
}
