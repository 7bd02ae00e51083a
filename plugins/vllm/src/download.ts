import { SparkError, type JobHandle, type JobSnapshot, type PluginContext } from '@spark-control/plugin-api';
import type { CatalogEntry } from './catalog.js';
import type { VllmConfig } from './config.js';
import { copyToSparkCommand, downloadCommand, preflightCommand, preflightVerdict } from './launch.js';

const DOWNLOAD_FAILURES: Array<{ code: string; re: RegExp; message: (host: string, cli: string) => string }> = [
  { code: 'VLLM_DOWNLOAD_GATED', re: /GatedRepoError|401 Client Error|403 Client Error|is restricted|gated repo/i, message: () => 'This Hugging Face repository is gated: accept its licence on huggingface.co, then log in on the Spark (hf auth login) or set HF_TOKEN there, and download again.' },
  { code: 'VLLM_DOWNLOAD_NOT_FOUND', re: /RepositoryNotFoundError|404 Client Error/i, message: () => 'Hugging Face has no repository with this id (check the spelling and case).' },
  { code: 'VLLM_DOWNLOAD_NETWORK', re: /ConnectionError|Read timed out|Temporary failure in name resolution|Connection reset/i, message: (host) => `${host} could not reach Hugging Face; start the download again to resume where it stopped.` },
  { code: 'VLLM_DOWNLOAD_DISK_FULL', re: /No space left on device/i, message: (host) => `the disk of ${host} is full; free space (delete a model you no longer use) and download again.` },
  { code: 'VLLM_DOWNLOAD_NO_CLI', re: /command not found|No such file or directory.*(hf|huggingface-cli|uvx)/i, message: (host, cli) => `${cli} is not installed on ${host}; install it (pip install -U huggingface_hub) or pick another download command in the vLLM settings.` },
];

/** The line of a failed download's last output that says what failed: an error line (`Error: …`, `…Error: …`,
 *  `error: …`) when there is one, else the last line that is not a stack frame, a caret, a brace or the runtime's
 *  version banner (a crashed Node script ends with "Node.js v20…", which said nothing). */
export function downloadFailureLine(tail: string[]): string {
  const noise = /^\s*$|^\s*at\s|^\s*\^+\s*$|^\s*[{}]\s*$|^\s+\w+: .*,?$|^Node\.js v\d|^Traceback \(most recent/;
  const lines = tail.filter((l) => !noise.test(l));
  const error = [...lines].reverse().find((l) => /^(?:[\w.]*Error|Exception)\b|^[\w.]+(?:Error|Exception): |\berror: /i.test(l.trim()));
  return (error ?? lines.at(-1) ?? 'no output').trim().slice(0, 300);
}

/** Progress of `hf download`: tqdm redraws with `\r`; "Fetching N files: P%| k/N" is the overall bar, per-file bars
 *  read "<file>: P%". */
export function parseDownloadProgress(line: string): { filesDone?: number; files?: number; file?: string; pct?: number } | undefined {
  const all = /Fetching (\d+) files:\s*\d+%\|[^|]*?(\d+)\/(\d+)/.exec(line) ?? /Fetching (\d+) files:.*?\|\s*(\d+)\/(\d+)/.exec(line);
  if (all) return { files: Number(all[3]), filesDone: Number(all[2]) };
  const one = /^\s*([\w.-]+):\s+(\d{1,3})%/.exec(line);
  if (one) return { file: one[1], pct: Number(one[2]) };
  return undefined;
}

/** Splits one stream's output into lines at `\r` or `\n` (tqdm and rsync redraw with `\r`). A chunk can end
 *  mid-line: the unfinished piece waits for the next chunk, and `end()` hands over what is left. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split(/[\r\n]/);
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    end() { onLine(rest); rest = ''; },
  };
}

/** Progress of `rsync --info=progress2`: "  1,234,567  45%  110.52MB/s    0:00:10 (xfr#3, to-chk=2/7)" (bytes so far,
 *  percent of the whole transfer), lines separated by `\r`. */
export function parseRsyncProgress(line: string): { bytes: number; pct: number } | undefined {
  const p = /^\s*([\d,]+)\s+(\d{1,3})%/.exec(line);
  return p ? { bytes: Number(p[1].replace(/,/g, '')), pct: Number(p[2]) } : undefined;
}

/** Downloads of Hugging Face models into the Sparks' caches, one job per model, with progress and cancel
 *  (cancelling kills the remote process; the partial files stay, so the next download resumes). A model that runs
 *  across Sparks (tensor parallel) must be on each of them (every rank loads its part from its own disk): it is
 *  downloaded on the head, then copied from the head to each worker over the link between them (the same revision
 *  everywhere, and the link is far faster than the internet), or, when that copy cannot run, downloaded there too. */
export class ModelDownloads {
  private readonly running = new Map<string, string>();

  constructor(private readonly ctx: PluginContext<VllmConfig>, private readonly nodesFor: (model: CatalogEntry) => Array<{ hostId: string; address: string }>) {}

  /** The running download job of a model, if any. */
  current(modelId: string): JobSnapshot | undefined {
    const id = this.running.get(modelId);
    return id ? this.ctx.jobs.get(id) : undefined;
  }

  start(model: CatalogEntry): JobSnapshot {
    if (!model.repo) throw new SparkError('VLLM_LOCAL_MODEL', 'local models are not downloaded: they are already on the Spark', { status: 409 });
    const busy = this.current(model.id);
    if (busy && !busy.endedAt) throw new SparkError('VLLM_DOWNLOAD_IN_PROGRESS', `${model.repo} is already downloading`, { status: 409, details: { job: { id: busy.id, phase: busy.phase } } });
    // Another catalog id for the same repository: two downloads into one cache directory trip over each other.
    for (const [otherId, jobId] of this.running) {
      const other = this.ctx.jobs.get(jobId);
      if (otherId === model.id || !other || other.endedAt || String(other.meta?.repo ?? '').toLowerCase() !== model.repo.toLowerCase()) continue;
      throw new SparkError('VLLM_DOWNLOAD_IN_PROGRESS', `${model.repo} is already downloading for ${otherId}; wait for that download (both use the same files)`, { status: 409, details: { job: { id: other.id, phase: other.phase, modelId: otherId } } });
    }
    const cfg = this.ctx.config.get();
    const nodes = this.nodesFor(model);
    const hosts = nodes.map((n) => n.hostId);
    const snap = this.ctx.jobs.start({
      kind: 'vllm.download', title: `Download ${model.name}${hosts.length > 1 ? ` on ${hosts.join(' and ')}` : ''}`, phases: ['download', 'verify'], timeoutMs: cfg.downloadTimeoutMin * 60_000,
      meta: { modelId: model.id, repo: model.repo, host: hosts[0], hosts },
      run: async (job) => {
        const [head, ...workers] = nodes;
        const last = await this.run(job, model, head.hostId, { index: 0, of: nodes.length });
        for (let i = 0; i < workers.length; i++) {
          const w = workers[i];
          const part = { index: i + 1, of: nodes.length };
          try {
            await this.copyOverLink(job, model, head.hostId, w, part);
          } catch (e) {
            if (job.signal.aborted) throw e;
            job.log(`could not copy it to ${w.hostId} over the link (${(e as Error).message}); downloading it there from Hugging Face instead`);
            await this.run(job, model, w.hostId, part);
          }
        }
        job.progress(1);
        job.log(hosts.length > 1 ? `downloaded on ${hosts.join(' and ')}: the model can be swapped in now` : 'downloaded: the model can be swapped in now');
        return { ...last, hosts };
      },
    });
    this.running.set(model.id, snap.id);
    void this.ctx.jobs.wait(snap.id).then((s) => {
      if (this.running.get(model.id) === snap.id) this.running.delete(model.id);
      this.ctx.events.emit(`vllm.download.${s.state}`, { jobId: s.id, modelId: model.id, error: s.error });
    });
    return snap;
  }

  /** Copies the head's cache directory of the model to a worker with rsync over the link (run on the head), then
   *  checks the worker has a complete snapshot. Throws with the copy's last words when it cannot run (no ssh trust
   *  from the head to the worker, no rsync there) — the caller then downloads on the worker instead. */
  private async copyOverLink(job: JobHandle, model: CatalogEntry, from: string, to: { hostId: string; address: string }, part: { index: number; of: number }): Promise<void> {
    const cfg = this.ctx.config.get();
    job.phase('download');
    job.log(`copying ${model.repo} from ${from} to ${to.hostId} over the link (${to.address})`);
    const t0 = Date.now();
    let bytes = 0;
    let lastQuarter = -1;
    const tail: string[] = [];
    const onLine = (raw: string) => {
      const text = raw.trim();
      if (!text) return;
      const p = parseRsyncProgress(text);
      if (!p) { tail.push(text); if (tail.length > 20) tail.shift(); return; }
      bytes = p.bytes;
      job.progress(Math.min(0.99, (part.index + p.pct / 100) / part.of));
      if (Math.floor(p.pct / 25) !== lastQuarter) { lastQuarter = Math.floor(p.pct / 25); job.log(`copy to ${to.hostId}: ${p.pct}%`); }
    };
    const out = lineSplitter(onLine);
    const err = lineSplitter(onLine);
    const res = await this.ctx.ssh.stream(from, copyToSparkCommand(cfg, model.repo!, to.address), {
      timeoutMs: cfg.downloadTimeoutMin * 60_000, signal: job.signal, onStdout: out.push, onStderr: err.push,
    });
    out.end();
    err.end();
    if (res.code !== 0) throw new Error(`rsync exited with ${res.code ?? 'no status'}: ${tail.filter((l) => !/connection unexpectedly closed|rsync error/.test(l))[0] ?? tail.at(-1) ?? 'no output'}`.slice(0, 300));
    job.phase('verify');
    const check = await this.ctx.ssh.exec(to.hostId, preflightCommand(cfg, model), { timeoutMs: 30_000, signal: job.signal });
    if (preflightVerdict(check.stdout) !== 'ok') throw new Error(`the copy ended but ${to.hostId} has no complete snapshot (${preflightVerdict(check.stdout)})`);
    const s = Math.max(0.1, (Date.now() - t0) / 1000);
    job.log(`${model.repo} is in the cache on ${to.hostId} (copied ${(bytes / 2 ** 30).toFixed(2)} GiB over the link in ${s.toFixed(1)} s)`);
  }

  /** One Spark's download; `part` places its progress within the whole job (host i of n). */
  private async run(job: JobHandle, model: CatalogEntry, host: string, part: { index: number; of: number }): Promise<{ repo: string; path: string }> {
    const cfg = this.ctx.config.get();
    const overall = (p: number) => (part.index + p) / part.of;
    job.phase('download');
    job.log(`downloading ${model.repo} into the Hugging Face cache on ${host} (${cfg.downloadCli} download)`);
    let files = 0;
    let filesDone = 0;
    let lastLogged = '';
    const tail: string[] = [];
    let path = '';
    const onPiece = (piece: string, stream: 'stdout' | 'stderr') => {
      const text = piece.trim();
      if (!text) return;
      if (stream === 'stdout' && text.startsWith('/')) path = text;
      const p = parseDownloadProgress(text);
      if (!p) {
        tail.push(text);
        if (tail.length > 40) tail.shift();
        job.log(text);
        return;
      }
      if (p.files) { files = p.files; filesDone = p.filesDone ?? filesDone; }
      // Files done plus the share of the file being fetched; 1.0 only after the verify phase.
      const current = p.pct !== undefined && filesDone < files ? p.pct / 100 : 0;
      if (files) job.progress(Math.min(0.99, overall((filesDone + current) / files)));
      // One log line per file and per quarter, not one per redraw.
      const mark = p.file ? `${p.file} ${Math.floor((p.pct ?? 0) / 25) * 25}%` : `${filesDone}/${files} files`;
      if (mark !== lastLogged) { lastLogged = mark; job.log(mark); }
    };
    const out = lineSplitter((l) => onPiece(l, 'stdout'));
    const err = lineSplitter((l) => onPiece(l, 'stderr'));
    const res = await this.ctx.ssh.stream(host, downloadCommand(cfg, model.repo!), {
      timeoutMs: cfg.downloadTimeoutMin * 60_000, signal: job.signal, onStdout: out.push, onStderr: err.push,
    });
    out.end();
    err.end();
    if (res.code !== 0) {
      const text = tail.join('\n');
      const known = DOWNLOAD_FAILURES.find((f) => f.re.test(text)) ?? (res.code === 127 ? DOWNLOAD_FAILURES.find((f) => f.code === 'VLLM_DOWNLOAD_NO_CLI') : undefined);
      throw new SparkError(known?.code ?? 'VLLM_DOWNLOAD_FAILED', known?.message(host, cfg.downloadCli) ?? `${cfg.downloadCli} download of ${model.repo} on ${host} failed (exit ${res.code ?? 'no status'}): ${downloadFailureLine(tail)}`, { status: 502, details: { host } });
    }
    job.phase('verify');
    const check = await this.ctx.ssh.exec(host, preflightCommand(cfg, model), { timeoutMs: 30_000, signal: job.signal });
    if (preflightVerdict(check.stdout) !== 'ok') throw new SparkError('VLLM_DOWNLOAD_INCOMPLETE', `the download ended but ${model.repo} is still not in the cache on ${host}`, { status: 502, details: { host } });
    job.progress(Math.min(0.99, overall(1)));
    if (part.of > 1) job.log(`${model.repo} is in the cache on ${host}`);
    return { repo: model.repo!, path };
  }
}
