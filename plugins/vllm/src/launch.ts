import { rawShell, sh, type ShellCommand } from '@spark-control/plugin-api';
import { LOCAL_PATH, swapTimeoutMs, type ModelEntry } from './catalog.js';
import type { VllmConfig } from './config.js';

/** A configured path on the Spark: absolute, or relative to the SSH user's home. */
export const home = (p: string) => (p.startsWith('/') ? sh`${p}` : sh`"$HOME"/${p}`);

/** The HF cache's directory name for a repo id (`org/name` → `models--org--name`). */
export const cacheDirName = (repo: string) => `models--${repo.replace('/', '--')}`;

/** Where a model's files are on the Spark: its local directory, or its directory in the HF cache `hubDir`. */
export const modelDir = (m: ModelEntry, hubDir: ShellCommand): ShellCommand => (m.localPath ? sh`${m.localPath}` : sh`${hubDir}/${cacheDirName(m.repo!)}`);

/** VLLM_SPARK_EXTRA_DOCKER_ARGS value: the launcher expands it UNQUOTED, so it may only contain allow-listed paths. */
export function extraDockerArgs(m: ModelEntry): string {
  const parts = ['-e', 'HF_HUB_OFFLINE=1'];
  if (m.localPath) {
    if (!LOCAL_PATH.test(m.localPath)) throw new Error('unsafe localPath');
    parts.push('-v', `${m.localPath}:${m.localPath}:ro`);
  }
  for (const p of parts) if (!/^[A-Za-z0-9._/+:=-]+$/.test(p)) throw new Error('unsafe docker argument');
  return parts.join(' ');
}

/** argv of `vllm serve …` (each element becomes one quoted word for the remote shell). */
export function serveArgv(m: ModelEntry, port: number, extra: string[] = []): string[] {
  const argv = ['vllm', 'serve', m.localPath ?? m.repo!, '--host', '0.0.0.0', '--port', String(port), '--served-model-name', m.servedName];
  if (m.tensorParallel > 1) argv.push('--tensor-parallel-size', String(m.tensorParallel));
  if (m.chatTemplate) argv.push('--chat-template', m.chatTemplate);
  if (m.sleep) argv.push('--enable-sleep-mode');
  return [...argv, ...extra, ...m.args];
}

/** The Sparks one launch runs on: the head (serves the API) and, for tensor parallel N, N-1 workers, each with its
 *  address on the link between the Sparks (the launcher's `-n` list, head first). */
export interface LaunchNodes {
  head: { hostId: string; address: string };
  workers: Array<{ hostId: string; address: string }>;
}

/** Solo on one Spark; across Sparks the launcher gets `-n head,worker…` and LOCAL_IP (the head must be "the local IP";
 *  set explicitly, its own detection reads interfaces Spark Control cannot vouch for) and --no-ray (the default
 *  since mid-2026, said explicitly so launchers from before that behave the same). The launcher starts the
 *  workers' containers over the head's ssh to them and appends `--nnodes/--node-rank/--master-addr/--headless`
 *  itself, so serveArgv carries only --tensor-parallel-size. */
export function launchCommand(cfg: VllmConfig, m: ModelEntry, port: number, nodes?: LaunchNodes, extraServeArgs: string[] = []): ShellCommand {
  const envArgs = Object.entries(m.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // The sleep endpoints (/sleep, /wake_up, /is_sleeping, /collective_rpc) exist only in vLLM's dev mode.
  if (m.sleep && m.env.VLLM_SERVER_DEV_MODE === undefined) envArgs.push('-e', 'VLLM_SERVER_DEV_MODE=1');
  const across = nodes !== undefined && nodes.workers.length > 0;
  // vLLM gives up on an engine that is not ready after 600 s, which a start across Sparks can exceed: let it wait as
  // long as the swap does (unless the model sets its own).
  if (across && m.env.VLLM_ENGINE_READY_TIMEOUT_S === undefined) envArgs.push('-e', `VLLM_ENGINE_READY_TIMEOUT_S=${Math.round(swapTimeoutMs(m) / 1000)}`);
  const localIp = across ? sh`LOCAL_IP=${nodes.head.address} ` : rawShell('');
  const placement = across ? sh`-n ${[nodes.head, ...nodes.workers].map((n) => n.address).join(',')} --no-ray` : rawShell('--solo');
  return sh`${localIp}VLLM_SPARK_EXTRA_DOCKER_ARGS=${extraDockerArgs(m)} ${home(cfg.launcherPath)} ${placement} -d -t ${m.image} --name ${cfg.containerName} ${envArgs} exec ${serveArgv(m, port, extraServeArgs)}`;
}

/** Stops the model on the head. A worker's container is stopped by Spark Control's own SSH to that Spark
 *  (workerStopCommand): that works whatever the launcher's node detection thinks, and every failure is seen. */
export function stopCommand(cfg: VllmConfig): ShellCommand {
  return sh`${home(cfg.launcherPath)} --solo --name ${cfg.containerName} stop`;
}

/** On a worker Spark: stop the launch's container there (absent is fine: it exits 0 either way). */
export function workerStopCommand(cfg: VllmConfig): ShellCommand {
  return sh`docker stop ${cfg.containerName} >/dev/null 2>&1; echo stopped`;
}

/** Prints the container's docker status (`running`, `exited`, …) while one of that exact name exists, else `absent`. */
export function containerExistsCommand(cfg: VllmConfig): ShellCommand {
  return sh`docker inspect --type container --format '{{.State.Status}}' ${cfg.containerName} 2>/dev/null || echo absent`;
}

/** What containerExistsCommand printed: `absent`, or docker's status of the container. */
export function containerStatus(stdout: string): string {
  return stdout.trim();
}

/** Prints `alive` while `vllm serve` runs in the container, else `dead`. */
export function processAliveCommand(cfg: VllmConfig): ShellCommand {
  return sh`docker exec ${cfg.containerName} pgrep -f ${'vllm serve'} >/dev/null 2>&1 && echo alive || echo dead`;
}

/** What processAliveCommand printed: `alive`, `dead` (anything else is what the Spark said instead). */
export function processStatus(stdout: string): string {
  return stdout.trim();
}

/** processAliveCommand's output says `vllm serve` runs. */
export const isAlive = (stdout: string): boolean => processStatus(stdout) === 'alive';

export function logTailCommand(cfg: VllmConfig, lines: number): ShellCommand {
  return sh`docker logs --tail ${lines} ${cfg.containerName} 2>&1`;
}

export function memInfoCommand(): ShellCommand {
  return sh`grep -E '^(MemTotal|MemAvailable):' /proc/meminfo`;
}

/** memInfoCommand's output as the share of memory available, in percent (0 when MemTotal is missing). */
export function availableMemoryPct(out: string): number {
  const total = Number(/MemTotal:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const avail = Number(/MemAvailable:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return total ? (avail / total) * 100 : 0;
}

/** memInfoCommand's output as MemTotal in bytes (undefined when it is missing or not a positive figure). */
export function memTotalBytes(out: string): number | undefined {
  const kib = Number(/MemTotal:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  return Number.isFinite(kib) && kib > 0 ? kib * 1024 : undefined;
}

/** memInfoCommand's output as the bytes available (undefined when MemAvailable is missing). */
export function availableMemoryBytes(out: string): number | undefined {
  const kib = /MemAvailable:\s+(\d+)/.exec(out)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** Preflight: a local dir needs config.json and weights; an HF repo needs a non-empty snapshot in the cache. */
export function preflightCommand(cfg: VllmConfig, m: ModelEntry): ShellCommand {
  if (m.localPath) {
    return sh`test -d ${m.localPath} || { echo 'missing: directory'; exit 3; }; test -f ${m.localPath + '/config.json'} || { echo 'missing: config.json'; exit 3; }; ls ${m.localPath} | grep -Eq '\.(safetensors|bin|gguf)$' || { echo 'missing: weights'; exit 3; }; echo ok`;
  }
  // A blob still named *.incomplete means a download is running or was interrupted: vLLM would fail on it.
  const dir = `hub/${cacheDirName(m.repo!)}`;
  return sh`r=${home(cfg.hfHome)}/${dir}; d="$r"/snapshots; if ls "$r"/blobs 2>/dev/null | grep -q '\.incomplete$'; then echo incomplete; elif [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ]; then echo ok; else echo 'not-downloaded'; fi`;
}

/** What preflightCommand printed: `ok`; for a local dir `missing: directory|config.json|weights`; for an HF repo
 *  `incomplete` or `not-downloaded`. */
export function preflightVerdict(stdout: string): string {
  return stdout.trim();
}

const DOWNLOAD_CLI: Record<VllmConfig['downloadCli'], string[]> = { hf: ['hf'], 'uvx hf': ['uvx', 'hf'], 'huggingface-cli': ['huggingface-cli'] };

/** `hf download <repo>` with HF_HOME set, so the files land in the cache the launcher mounts into the container. */
export function downloadCommand(cfg: VllmConfig, repo: string): ShellCommand {
  return sh`HF_HOME=${home(cfg.hfHome)} ${DOWNLOAD_CLI[cfg.downloadCli]} download ${repo}`;
}

/** ssh from the head to another Spark: never a password prompt (there is no terminal). */
const LINK_SSH_OPTIONS = ['-o', 'BatchMode=yes'];

/** On the head: copy a model's HF cache directory to another Spark over the link between them, run as the head's own
 *  ssh to it (the trust eugr's launcher needs anyway). Runs the worker's copy into exactly the head's files
 *  (--delete within that one model directory: every rank must load the same revision); --partial resumes a cut copy;
 *  BatchMode: never a password prompt on a session without a terminal. A relative HF home is relative to the home
 *  directory on both Sparks. */
export function copyToSparkCommand(cfg: VllmConfig, repo: string, toAddress: string): ShellCommand {
  const name = cacheDirName(repo);
  const host = toAddress.includes(':') ? `[${toAddress}]` : toAddress;
  return sh`cd ${home(cfg.hfHome)}/hub && rsync -a --partial --delete --mkpath --info=progress2 -e ${`ssh ${LINK_SSH_OPTIONS.join(' ')} -o ConnectTimeout=10`} ${name + '/'} ${`${host}:${cfg.hfHome}/hub/${name}/`}`;
}

/** On the head: can it reach a worker over the link with ssh and no password? The launcher starts the worker's
 *  container exactly that way, and without it fails only after the old model was stopped. Prints `ok` or ssh's words. */
export function linkSshCheckCommand(toAddress: string): ShellCommand {
  return sh`ssh ${LINK_SSH_OPTIONS} -o ConnectTimeout=5 ${toAddress} true 2>&1 && echo ok`;
}

/** What linkSshCheckCommand's run says: undefined when the head got in, else ssh's last words (or the exit code). */
export function linkSshRefusal(r: { stdout: string; stderr: string; code: number | null }): string | undefined {
  if (r.stdout.trim().split('\n').pop() === 'ok') return undefined;
  return (r.stdout + r.stderr).trim().split('\n').filter(Boolean).pop() ?? `exit ${r.code}`;
}
