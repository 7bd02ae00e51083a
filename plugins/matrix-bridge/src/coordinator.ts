import { SparkError, type JobSnapshot, type PluginContext, type SshStreamOptions } from '@spark-control/plugin-api';
import type { MatrixBridgeConfig } from './config.js';
import { FAILURE_PATTERNS, PHASE_MARK, UPDATE_PHASES, action, inspectState, updateScript } from './commands.js';
import { describeStatus, parseInspect, type BotStatus } from './state.js';

export const ACTIONS = ['restart', 'stop', 'start'] as const;

/** The bot's state and what changes it: the last status seen over SSH, one action at a time, the update job. The
 *  routes (routes.ts), the health check and the poll (register.ts) all go through it. */
export function createBotCoordinator(ctx: PluginContext<MatrixBridgeConfig>) {
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

  return { cfg, sshOpts, requireEnabled, refresh, startUpdate, runAction, statusView };
}

export type BotCoordinator = ReturnType<typeof createBotCoordinator>;
