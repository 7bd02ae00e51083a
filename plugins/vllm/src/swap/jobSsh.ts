/**
 * SSH as a swap job runs it: the job's cancel and timeout apply to every command, and the phases where the Spark keeps
 * working on its own (launch dispatch, readiness) ride out a lost session instead of failing a minutes-long load.
 */
import { SparkError, type JobHandle, type PluginContext } from '@spark-control/plugin-api';
import type { VllmConfig } from '../config.js';
import { delay } from './delay.js';

/** SSH errors that a restarted sshd or a link blip causes; launch and readiness ride them out (ridingOut). */
export const TRANSIENT_SSH = new Set(['SPK_SSH_UNREACHABLE', 'SPK_SSH_TIMEOUT', 'SPK_SSH_EXEC']);
/** A channel that closed without an exit status: the session dropped mid-command, the command's outcome is unknown. */
export const sessionLost = (r: { code: number | null; signal?: string }) => r.code === null && !r.signal;

type Command = Parameters<PluginContext['ssh']['exec']>[1];

export class JobSsh {
  constructor(private readonly ctx: PluginContext<VllmConfig>, private readonly headId: () => string) {}

  /** exec for a swap job (its cancel and timeout apply) on the head, or on another Spark of the launch. */
  exec(job: JobHandle, cmd: Command, timeoutMs = 30_000, host = this.headId()) {
    return this.ctx.ssh.exec(host, cmd, { timeoutMs, signal: job.signal });
  }

  /** exec on the head that waits out a lost SSH session (bounded by sshOutageToleranceSec). Without it one dropped
   *  session failed a minutes-long load and left the container running behind a "failed" job
   *  (tests/reliability/sshd-restart-swap.test.ts). Past the tolerance the swap fails naming phase and host; the job's
   *  timeout and cancel apply throughout. Other errors pass straight through. */
  async ridingOut(job: JobHandle, cmd: Command, timeoutMs = 30_000) {
    const toleranceMs = this.ctx.config.get().sshOutageToleranceSec * 1000;
    let since: number | undefined;
    for (;;) {
      let why: string;
      try {
        const r = await this.exec(job, cmd, timeoutMs);
        if (!sessionLost(r)) {
          if (since !== undefined) job.log(`SSH to ${this.headId()} is back after ${((Date.now() - since) / 1000).toFixed(1)} s`);
          return r;
        }
        why = 'the session closed without an exit status';
      } catch (e) {
        if (job.signal.aborted || !TRANSIENT_SSH.has((e as SparkError).code)) throw e;
        why = (e as Error).message;
      }
      const phase = this.ctx.jobs.get(job.id)?.phase ?? '?';
      if (since === undefined) {
        since = Date.now();
        job.log(`SSH to ${this.headId()} lost during phase ${phase} (${why}); retrying while the model keeps loading on the Spark`);
      }
      if (Date.now() - since > toleranceMs) {
        throw new SparkError('VLLM_SSH_LOST', `lost SSH to ${this.headId()} during phase ${phase} for more than ${toleranceMs / 1000} s (${why})`, { status: 503, details: { host: this.headId(), phase } });
      }
      await delay(1000, job.signal);
    }
  }
}
