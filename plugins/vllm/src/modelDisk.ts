import { SparkError, sh, type PluginContext, type ShellCommand } from '@spark-control/plugin-api';
import type { CatalogEntry } from './catalog.js';
import type { VllmConfig } from './config.js';
import { cacheDirName, modelDir } from './launch.js';

/** Sizes on disk: one `du` for every model dir (HF cache dirs and local dirs) plus the free space. */
export async function diskUsage(ctx: PluginContext<VllmConfig>, hostId: string, hubDir: ShellCommand, catalog: CatalogEntry[]) {
  const targets = catalog.map((m) => modelDir(m, hubDir));
  const cmd = sh`for d in ${targets}; do if [ -e "$d" ]; then du -sk "$d" 2>/dev/null | cut -f1; else echo -; fi; done; echo @@df; df -Pk ${hubDir} 2>/dev/null | tail -1 || df -Pk "$HOME" | tail -1`;
  const r = await ctx.ssh.exec(hostId, cmd, { timeoutMs: 60_000 });
  const [sizes, dfPart] = r.stdout.split('@@df\n');
  const lines = sizes.trim().split('\n');
  const df = (dfPart ?? '').trim().split(/\s+/);
  return {
    models: catalog.map((m, i) => ({ id: m.id, source: m.localPath ? 'local' : 'hf', path: m.localPath ?? m.repo, sizeBytes: /^\d+$/.test(lines[i] ?? '') ? Number(lines[i]) * 1024 : null })),
    freeBytes: /^\d+$/.test(df[3] ?? '') ? Number(df[3]) * 1024 : null,
    totalBytes: /^\d+$/.test(df[1] ?? '') ? Number(df[1]) * 1024 : null,
  };
}

/** Deletes a downloaded Hugging Face model from the cache. The path is built from the validated repo id, never taken
 *  from the client; realpath must sit directly in the hub. */
export async function deleteCachedModel(ctx: PluginContext<VllmConfig>, hostId: string, hubDir: ShellCommand, m: CatalogEntry) {
  const name = cacheDirName(m.repo!);
  const res = await ctx.ssh.exec(hostId, sh`hub=$(cd ${hubDir} 2>/dev/null && pwd -P) || { echo nohub; exit 0; }; t="$hub"/${name}; [ -d "$t" ] || { echo absent; exit 0; }; [ "$(cd "$t" && pwd -P)" = "$hub"/${name} ] || { echo escape; exit 0; }; ls "$t"/blobs 2>/dev/null | grep -q '\.incomplete$' && { echo downloading; exit 0; }; s=$(du -sk "$t" | cut -f1); rm -rf --one-file-system -- "$t" "$hub"/.locks/${name} && echo "deleted $s"`, { timeoutMs: 120_000 });
  const out = res.stdout.trim();
  if (out.startsWith('deleted')) return { deleted: m.id, freedBytes: Number(out.split(' ')[1]) * 1024 };
  const why: Record<string, [number, string]> = { absent: [404, 'not downloaded'], escape: [409, 'the cache directory is a link outside the hub; refusing'], downloading: [409, 'a download is in progress'], nohub: [404, 'no Hugging Face cache on the Spark'] };
  const [status, msg] = why[out] ?? [502, `delete failed: ${(res.stderr || out).slice(0, 200)}`];
  throw new SparkError('VLLM_CACHE_DELETE_REFUSED', msg, { status });
}
