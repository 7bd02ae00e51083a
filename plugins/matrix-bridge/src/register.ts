import { z } from 'zod';
import { SparkError, type JobSnapshot, type PluginContext, type PluginRouter, type SshStreamOptions } from '../../../core/src/api/index.js';
import type { MatrixBridgeConfig } from './config.js';
import { FAILURE_PATTERNS, PHASE_MARK, UPDATE_PHASES, action, inspectState, logsFollow, logsTail, updateScript } from './commands.js';
import { describeStatus, parseInspect, type BotStatus } from './state.js';
import { FollowerSlots } from './followers.js';

const ACTIONS = ['restart', 'stop', 'start'] as const;
const tailQuery = z.object({ lines: z.coerce.number().int().min(1).max(5000).default(200) });

export function registerMatrixBridge(ctx: PluginContext<MatrixBridgeConfig>): void {
  // On the simulated cluster the bot belongs to the simulated user unless one is configured, so the demo shows it.
  const cfg = (): MatrixBridgeConfig => {
    const c = ctx.config.get();
    return !c.botUser && ctx.simulated ? { ...c, botUser: 'spark' } : c;
  };
  let status: BotStatus = { state: 'unknown', error: 'not checked yet' };
  let checkedAt: string | undefined;
  /** One action at a time per bot: the running job's id, or the name of a quick action. */
  let busy: { kind: string; jobId?: string } | undefined;

  const sshOpts = (extra: SshStreamOptions = {}): SshStreamOptions => {
    const c = cfg();
    return { timeoutMs: c.commandTimeoutMs, as: { user: c.botUser, ...(c.privateKeyPath ? { privateKeyPath: c.privateKeyPath } : {}) }, ...extra };
  };
  const requireEnabled = () => {
    if (!cfg().botUser) throw new SparkError('MATRIX_BRIDGE_DISABLED', 'no bot user is configured; set one in the matrix-bridge settings', { status: 409 });
  };

  async function refresh(): Promise<BotStatus> {
    const c = cfg();
    if (!c.botUser) return status;
    const r = await ctx.ssh.exec(c.hostId, inspectState(c), sshOpts());
    const next = parseInspect(r.stdout, r.stderr, r.code);
    const changed = describeStatus(next) !== describeStatus(status);
    const prev = status;
    status = next;
    checkedAt = new Date().toISOString();
    if (changed) ctx.events.emit('matrix-bridge.status', { status, previous: prev, text: describeStatus(status), at: checkedAt });
    return status;
  }

  const lock = (kind: string) => {
    if (busy) {
      throw new SparkError('MATRIX_BRIDGE_BUSY', `another action is running (${busy.kind})`, { status: 409, details: { running: busy.kind, jobId: busy.jobId } });
    }
    busy = { kind };
  };

  function startUpdate(): JobSnapshot {
    requireEnabled();
    lock('update');
    const c = cfg();
    try {
      const snap = ctx.jobs.start({
        kind: 'matrix-bridge.update',
        title: `Update ${c.containerName} (${c.gitBranch})`,
        phases: UPDATE_PHASES,
        timeoutMs: c.updateTimeoutSeconds * 1000,
        logTailLines: 400,
        run: async (job) => {
          let failure: string | undefined;
          const last: string[] = [];
          try {
            job.phase('connect');
            const r = await ctx.ssh.stream(c.hostId, updateScript(c), sshOpts({
              timeoutMs: c.updateTimeoutSeconds * 1000 + 5000,
              signal: job.signal,
              onLine: (line) => {
                if (line.startsWith(PHASE_MARK)) {
                  const phase = line.slice(PHASE_MARK.length).trim();
                  job.phase(phase);
                  job.progress(Math.max(0, UPDATE_PHASES.indexOf(phase)) / (UPDATE_PHASES.length - 1));
                  return;
                }
                job.log(line);
                last.push(line);
                if (last.length > 15) last.shift();
                const hit = FAILURE_PATTERNS.find(([re]) => re.test(line.trim()));
                if (hit && !failure) failure = hit[1];
              },
            }));
            if (job.signal.aborted) throw job.signal.reason;
            if (r.code !== 0 || failure) {
              throw new SparkError('MATRIX_BRIDGE_UPDATE_FAILED', `${failure ?? 'update failed'} (exit ${r.code ?? r.signal ?? '?'})`, { details: { lastLines: last } });
            }
            return { ok: true };
          } finally {
            busy = undefined;
            await refresh().catch(() => {});
          }
        },
      });
      busy = { kind: 'update', jobId: snap.id };
      return snap;
    } catch (e) {
      busy = undefined;
      throw e;
    }
  }

  async function runAction(verb: (typeof ACTIONS)[number]) {
    requireEnabled();
    lock(verb);
    const before = status;
    try {
      const c = cfg();
      const r = await ctx.ssh.exec(c.hostId, action(c, verb), sshOpts());
      if (r.code !== 0) {
        throw new SparkError('MATRIX_BRIDGE_ACTION_FAILED', `docker ${verb} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}`, { status: 502, details: { host: c.hostId } });
      }
    } finally {
      busy = undefined;
    }
    // Refresh right away so a fast restart is seen as a transition, not missed between polls.
    const after = await refresh();
    return { before: describeStatus(before), after: describeStatus(after), status: after };
  }

  const statusView = () => ({
    enabled: !!cfg().botUser, hostId: cfg().hostId, container: cfg().containerName, status, text: describeStatus(status), checkedAt,
    busy: busy ?? null,
  });

  // Shared by every route that follows logs (each one is a remote docker logs -f while the client listens).
  const followers = new FollowerSlots();
  const mount = (r: PluginRouter) => {
    r.add({ method: 'GET', path: '/status', summary: 'Bot container state (docker only)' }, async () => {
      if (cfg().botUser) await refresh();
      return statusView();
    });
    r.add({ method: 'POST', path: '/update', summary: 'git pull + docker build + recreate, streamed as a job' }, (c) => {
      c.status(202);
      return startUpdate();
    });
    for (const verb of ACTIONS) r.add({ method: 'POST', path: `/actions/${verb}`, summary: `docker ${verb}` }, () => runAction(verb));
    r.add({ method: 'GET', path: '/logs', query: tailQuery, summary: 'Last N log lines' }, async (c) => {
      requireEnabled();
      const cf = cfg();
      const res = await ctx.ssh.exec(cf.hostId, logsTail(cf, c.query.lines), sshOpts());
      if (res.code !== 0) throw new SparkError('MATRIX_BRIDGE_LOGS_FAILED', `docker logs failed: ${res.stdout.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}`, { status: 502 });
      return { lines: res.stdout.split('\n').filter(Boolean) };
    });
    r.add({ method: 'GET', path: '/logs/follow', query: tailQuery, summary: 'Tail then follow logs over SSE; closing stops the remote docker logs' }, (c) => {
      requireEnabled();
      const cf = cfg();
      const release = followers.take(c.req.socket.remoteAddress ?? '');
      const sse = c.sse();
      sse.signal.addEventListener('abort', release, { once: true });
      ctx.ssh.stream(cf.hostId, logsFollow(cf, c.query.lines), sshOpts({
        timeoutMs: 6 * 3600_000,
        signal: sse.signal,
        onLine: (line) => sse.send('line', { line }),
      })).then((res) => { sse.send('end', { code: res.code }); sse.close(); }, (e) => { if (!sse.signal.aborted) sse.send('error', { message: (e as Error).message }); sse.close(); });
      return undefined;
    });
  };
  mount(ctx.routes);
  // Paths the existing clients already call.
  const legacy = ctx.publicRoutes('/api/matrix-bridge');
  legacy.add({ method: 'POST', path: '/update', summary: 'Same as /api/plugins/matrix-bridge/update' }, (c) => { c.status(202); return startUpdate(); });
  legacy.add({ method: 'GET', path: '/logs', query: tailQuery, summary: 'Same as /api/plugins/matrix-bridge/logs' }, async (c) => {
    requireEnabled();
    const cf = cfg();
    const res = await ctx.ssh.exec(cf.hostId, logsTail(cf, c.query.lines), sshOpts());
    return { lines: res.stdout.split('\n').filter(Boolean) };
  });

  ctx.health.register({
    name: 'bot', service: 'matrix-bridge', intervalMs: 30_000, timeoutMs: 15_000,
    hostId: cfg().hostId,
    check: async () => {
      if (!cfg().botUser) return { status: 'up', detail: 'disabled (no bot user)' };
      const s = await refresh();
      if (s.state === 'running') return s.health === 'unhealthy' ? { status: 'degraded', detail: 'running but its health check fails' } : { status: 'up', detail: describeStatus(s) };
      return { status: 'down', detail: describeStatus(s) };
    },
  });

  ctx.lifecycle.onStart(() => {
    const poll = ctx.jobs.schedule({ name: 'status', everyMs: cfg().statusIntervalMs, timeoutMs: 20_000, initialDelayMs: 200, run: async () => { await refresh().catch(() => {}); } });
    ctx.onDispose(() => poll.stop());
  });

  ctx.tiles.register({ tag: 'spark-matrix-bridge-tile', module: 'tile.js', title: 'Matrix bot', order: 60, hidden: () => !cfg().botUser });
}
