import { SparkError, sh, type PluginContext, type ShellCommand } from '@spark-control/plugin-api';
import type { CatalogEntry } from './catalog.js';
import type { VllmConfig } from './config.js';
import { estimateFit, type FitEstimate } from './fit.js';
import { modelDir } from './launch.js';

/** config.json is read up to this size (real ones are a few KiB; a huge file is not a config). */
const CONFIG_MAX_BYTES = 256 * 1024;

export interface FitReport {
  host: string;
  memTotalBytes: number;
  models: Array<FitEstimate & { id: string }>;
}

/**
 * Gathers, in one SSH round trip, what the fit estimate needs for every model: its size on disk and its config.json
 * (from the newest HF snapshot, or the local directory), plus the Spark's MemTotal. Paths come from validated catalog
 * entries and are quoted by `sh`.
 */
export async function probeFit(ctx: PluginContext<VllmConfig>, host: string, hubDir: ShellCommand, models: CatalogEntry[], timeoutMs = 60_000): Promise<FitReport> {
  const dirs = models.map((m) => modelDir(m, hubDir));
  const cmd = sh`for d in ${dirs}; do echo @@model; if [ -d "$d" ]; then s=$(ls -dt "$d"/snapshots/*/ 2>/dev/null | head -n 1); du -sk "$d" 2>/dev/null | cut -f1; head -c ${CONFIG_MAX_BYTES} "\${s:-$d/}config.json" 2>/dev/null; echo; else echo -; fi; done; echo @@mem; grep '^MemTotal:' /proc/meminfo`;
  const r = await ctx.ssh.exec(host, cmd, { timeoutMs });
  const [modelPart, memPart = ''] = r.stdout.split('@@mem\n');
  const memKb = Number(/MemTotal:\s+(\d+)\s*kB/.exec(memPart)?.[1] ?? NaN);
  if (!Number.isFinite(memKb) || memKb <= 0) throw new SparkError('VLLM_FIT_UNAVAILABLE', `could not read the memory size of ${host} (/proc/meminfo)`, { status: 502, details: { host } });
  const memTotalBytes = memKb * 1024;
  const sections = modelPart.split('@@model\n').slice(1);
  return {
    host,
    memTotalBytes,
    models: models.map((m, i) => {
      const [sizeLine = '-', ...rest] = (sections[i] ?? '-').split('\n');
      const weightsBytes = /^\d+$/.test(sizeLine) ? Number(sizeLine) * 1024 : undefined;
      return { id: m.id, ...estimateFit({ weightsBytes, config: parseConfig(rest.join('\n')), args: m.args, tensorParallel: m.tensorParallel, memTotalBytes }) };
    }),
  };
}

function parseConfig(text: string): unknown {
  const t = text.trim();
  if (!t) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
