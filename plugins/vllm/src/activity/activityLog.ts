import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { PluginContext, PluginRouter } from '@spark-control/plugin-api';
import { countedUsageOf } from '../usage/countedUsage.js';
import { AnswerSniffer } from './answerSniffer.js';
import { ActivityStore } from './activityStore.js';
import { activityResponse } from '../responses.js';
import { recordTtftSeries } from './ttftSeries.js';

export const ACTIVITY_MAX_ROWS = 10_000;

const activityQuery = z.object({
  model: z.string().min(1).max(200).optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  /** A client's id (`c_…`, `admin`, `dashboard`, `anon:<label>`) or name. */
  client: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Watches one answer as the handler writes it: status, time to the first body byte, duration, and what the body
 *  says (model, usage). Recorded when the response finishes or the client leaves. */
function watch(res: ServerResponse, onDone: (facts: { status: number; ttftMs: number | null; durationMs: number; stream: boolean } & ReturnType<AnswerSniffer['facts']>) => void): void {
  const started = performance.now();
  let first: number | null = null;
  const sniff = new AnswerSniffer();
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    first ??= performance.now();
    sniff.add(chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (chunk !== undefined && typeof chunk !== 'function') { first ??= performance.now(); sniff.add(chunk); }
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  res.once('close', () => {
    const stream = /text\/event-stream/.test(String(res.getHeader('content-type') ?? '')) || sniff.isEventStream();
    // What the usage meter counted from the answer (including a stream's usage chunk it asked for and stripped, which
    // the client never saw); the body is searched for usage only when nothing was counted.
    const counted = countedUsageOf(res);
    const facts = sniff.facts(!counted);
    if (counted) { facts.tokensIn = counted.prompt_tokens; facts.tokensOut = counted.completion_tokens; }
    onDone({ status: res.statusCode, durationMs: Math.round(performance.now() - started), ttftMs: stream && first !== null ? Math.round(first - started) : null, stream, ...facts });
  });
}

/** Records every request through `router` in the bounded activity table and serves GET /activity. Returns the router
 *  to add the /v1 routes to. */
export function withActivityLog(ctx: PluginContext<unknown>, router: PluginRouter): PluginRouter {
  const store = new ActivityStore(join(ctx.dataDir, 'activity'), ACTIVITY_MAX_ROWS);
  ctx.onDispose(() => store.close());
  const noteTtft = recordTtftSeries(ctx);
  ctx.routes.add({ method: 'GET', path: '/activity', query: activityQuery, summary: 'Proxied /v1 requests, newest first (time, client, model, status, duration, TTFT of streams, tokens from usage); filters model, status, since, client (id or name); the last 10,000 are kept', response: activityResponse }, (c) => {
    const q = c.query;
    const { entries, total } = store.query({ model: q.model, status: q.status, since: q.since ? Date.parse(q.since) : undefined, client: q.client, limit: q.limit });
    return { total, kept: ACTIVITY_MAX_ROWS, entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
  });
  return {
    add(spec, handler) {
      router.add(spec, (c) => {
        const at = Date.now();
        watch(c.res, (f) => {
          store.record({ at, client: c.client.name, clientId: c.client.id, method: c.req.method ?? '', path: (c.req.url ?? '').split('?')[0].slice(0, 200), ...f });
          if (f.status === 200) noteTtft(f.model, f.ttftMs);
        });
        return handler(c);
      });
    },
  } as PluginRouter;
}
