/**
 * Following the container's log during a swap: each poll fetches the last lines (logTailCommand), and only the lines
 * not seen in the previous tail go to the job's log, so the swap's log reads as the container wrote it.
 */
import type { JobHandle } from '@spark-control/plugin-api';

export class LogTail {
  private lastTail: string[] = [];

  /** Forgets the previous tail (a new readiness wait starts from the container's log as it is). */
  reset() { this.lastTail = []; }

  /** Appends only the log lines not seen in the previous tail. */
  append(job: JobHandle, text: string) {
    const lines = text.split('\n').filter(Boolean);
    let start = 0;
    for (let k = Math.min(this.lastTail.length, lines.length); k > 0; k--) {
      if (this.lastTail.slice(-k).join('\n') === lines.slice(0, k).join('\n')) { start = k; break; }
    }
    for (const l of lines.slice(start)) job.log(l);
    this.lastTail = lines;
  }
}
