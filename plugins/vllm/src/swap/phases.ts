/**
 * The phases of a swap, in order, and what entering one means: the job shows it with its progress, a
 * `vllm.swap.phase` event says it, and the record is saved (a restart knows where the swap was).
 */
import type { JobHandle } from '@spark-control/plugin-api';
import type { SwapDeps } from './deps.js';

export const SWAP_PHASES = ['preflight', 'stop', 'memory', 'launch', 'process', 'health', 'models', 'completion', 'active'];

/** Enters phase `name` of the swap job. */
export function enterPhase(d: Pick<SwapDeps, 'events' | 'state'>, job: JobHandle, name: string): void {
  job.phase(name);
  job.progress(SWAP_PHASES.indexOf(name) / (SWAP_PHASES.length - 1));
  d.events.emit('phase', { jobId: job.id, phase: name });
  void d.state.persist();
}
