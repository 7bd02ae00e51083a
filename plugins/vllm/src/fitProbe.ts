import { SparkError, sh, type PluginContext, type ShellCommand } from '@spark-control/plugin-api';
import type { CatalogEntry } from './catalog.js';
import type { VllmConfig } from './config.js';
import { estimateFit, weightsSize, type FitEstimate } from './fit.js';
import { modelDir } from './launch.js';

/** config.json is read up to this size (real ones are a few KiB; a huge file is not a config). */
const CONFIG_MAX_BYTES = 256 * 1024;

export interface FitReport {
  host: string;
  memTotalBytes: number;
  /** onSpark: the model's directory is there (the figures can then come from its files, not from the catalog). */
  models: Array<FitEstimate & { id: string; onSpark: boolean }>;
}

/**
 * Gathers, in one SSH round trip, what the fit estimate needs for every model: from the newest HF snapshot (or the
 * local directory) the safetensors index's total_size, the safetensors files' sizes (links followed: a snapshot holds
 * links to blobs) and config.json; plus the Spark's MemTotal. Paths come from validated catalog entries and are quoted
 * by `sh`.
 */
export async function probeFit(ctx: PluginContext<VllmConfig>, host: string, hubDir: ShellCommand, models: CatalogEntry[], timeoutMs = 60_000): Promise<FitReport> {
  const dirs = models.map((m) => modelDir(m, hubDir));
  const cmd = sh`for d in ${dirs}; do echo @@model; if [ -d "$d" ]; then s=$(ls -dt "$d"/snapshots/*/ 2>/dev/null | head -n 1); s=\${s:-$d/}; echo "index:$(grep -o '"total_size"[[:space:]]*:[[:space:]]*[0-9]*' "\${s}model.safetensors.index.json" 2>/dev/null | head -n 1 | grep -o '[0-9]*$')"; echo "files:$(du -cbL "$s"*.safetensors 2>/dev/null | tail -n 1 | cut -f1)"; head -c ${CONFIG_MAX_BYTES} "\${s}config.json" 2>/dev/null; echo; else echo -; fi; done; echo @@mem; grep '^MemTotal:' /proc/meminfo`;
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
      const [indexLine = '-', filesLine = '', ...rest] = (sections[i] ?? '-').split('\n');
      const onSpark = indexLine !== '-';
      const config = onSpark ? parseConfig(rest.join('\n')) : undefined;
      const weights = weightsSize({
        indexTotalSize: onSpark ? bytesAfter('index:', indexLine) : undefined,
        filesBytes: onSpark ? bytesAfter('files:', filesLine) : undefined,
        config,
        catalogBytes: m.weightsGB === undefined ? undefined : Math.round(m.weightsGB * 1e9),
      });
      return { id: m.id, onSpark, ...estimateFit({ weightsBytes: weights?.bytes, weightsSource: weights?.source, config, args: m.args, tensorParallel: m.tensorParallel, memTotalBytes }) };
    }),
  };
}

/** `index:123` → 123; anything else (an empty figure, a garbled line) → undefined. */
function bytesAfter(label: string, line: string): number | undefined {
  if (!line.startsWith(label)) return undefined;
  const v = line.slice(label.length).trim();
  return /^\d{1,16}$/.test(v) ? Number(v) : undefined;
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
