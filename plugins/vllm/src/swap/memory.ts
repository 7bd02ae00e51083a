/**
 * A Spark's memory as a swap job reads it: what is available now on the head (for measuring what a load took or a
 * sleep gave back), and a byte count in the GB the logs and messages speak.
 */
import type { JobHandle } from '@spark-control/plugin-api';
import { availableMemoryBytes, memInfoCommand } from '../launch.js';
import type { SwapDeps } from './deps.js';

/** The head's MemAvailable in bytes now; undefined when it could not be read (a measurement is then skipped). */
export const availableNow = async (d: SwapDeps, job: JobHandle): Promise<number | undefined> =>
  availableMemoryBytes((await d.ssh.exec(job, memInfoCommand(), 30_000).catch(() => ({ stdout: '' }))).stdout);

/** Bytes as GB (10^9) with one decimal, as the job logs and refusals say it. */
export const gb = (b: number): string => `${(b / 1e9).toFixed(1)} GB`;
