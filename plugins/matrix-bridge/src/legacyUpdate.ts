import { PassThrough } from 'node:stream';
import type { JobSnapshot, PluginContext, RouteContext } from '@spark-control/plugin-api';

/** The Python tool's `POST /api/matrix-bridge/update`: the update's output as plain text, line by line, while it runs
 *  (capped by updateTimeoutSeconds, 25 minutes by default), ending with a last line that says how it went: `UPDATE OK`
 *  or `UPDATE FAILED: <reason>`. The update itself is the plugin's job; a client that leaves does not stop it. */
export function streamUpdate(ctx: PluginContext, c: RouteContext, job: JobSnapshot): void {
  const out = new PassThrough();
  const write = (line: string) => { if (!out.destroyed && !out.writableEnded) out.write(line + '\n'); };
  for (const line of job.logTail) write(line);
  const off = ctx.events.on('job.log', (e) => {
    const d = e.data as { id?: string; line?: string };
    if (d.id === job.id && typeof d.line === 'string') write(d.line);
  });
  void ctx.jobs.wait(job.id).then((end) => {
    off();
    if (out.destroyed || out.writableEnded) return;
    out.end(end.state === 'succeeded' ? 'UPDATE OK\n' : `UPDATE FAILED: ${end.error?.message ?? end.state}${end.error?.phase ? ` (phase ${end.error.phase})` : ''}\n`);
  }, (e: Error) => { off(); if (!out.writableEnded) out.end(`UPDATE FAILED: ${e.message}\n`); });
  c.signal.addEventListener('abort', () => { off(); out.destroy(); }, { once: true });
  c.stream(out, 'text/plain; charset=utf-8');
}
