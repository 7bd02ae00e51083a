import type { ProxyBodyTap, RouteContext } from '@spark-control/plugin-api';
import { noteCountedUsage } from './countedUsage.js';
import { SseUsageFilter } from './sseUsage.js';
import { tokenUsage, type TokenUsage } from './tokenUsage.js';

/** A non-streamed answer larger than this is not parsed for its usage (vLLM's JSON answers are far smaller). */
const MAX_JSON = 8 * 1024 * 1024;

/** What the usage of one completion is counted as: the request's client, per `subject` (the catalog model): `requests`
 *  (answered by vLLM; the kernel's own `requests` under subject '' counts every /v1 call), `prompt_tokens`,
 *  `completion_tokens`. */
export interface CompletionMeter {
  /** The body to send vLLM: a stream that did not ask for usage asks for it (and the client never sees it). */
  body: Buffer;
  /** The tap for the kernel proxy (ProxyOptions.tapBody); counts the request as answered by the model. */
  tapBody(status: number, contentType: string | undefined): ProxyBodyTap | undefined;
  /** vLLM answered (for a stream relayed by hand): one request of this model. */
  answered(): void;
  /** For a stream relayed by hand: each chunk through `data`, then `end`. */
  sse(): ProxyBodyTap;
}

/** Counts the tokens vLLM's `usage` reports for one completion request: from the JSON answer, or from a stream's
 *  usage chunk (asked for with `stream_options.include_usage` when the client did not, then stripped from what the
 *  client receives). `body` is what the client sent, or undefined when `parsed` was changed (then it is serialised). */
export function meterCompletion(c: RouteContext, parsed: Record<string, unknown>, body: Buffer | undefined, subject: string): CompletionMeter {
  const count = countUsage(c, subject);
  const streamed = parsed.stream === true;
  const opts = parsed.stream_options;
  const asked = !!opts && typeof opts === 'object' && (opts as Record<string, unknown>).include_usage === true;
  // vLLM refuses stream_options on a request that does not stream, and a malformed one is the client's to hear.
  const strip = streamed && !asked && (opts === undefined || opts === null || (typeof opts === 'object' && !Array.isArray(opts)));
  // continuous_usage_stats only ever applied with include_usage: asking for usage must not turn it on.
  const given = (opts ?? {}) as Record<string, unknown>;
  const sent = strip
    ? Buffer.from(JSON.stringify({ ...parsed, stream_options: { ...given, include_usage: true, ...('continuous_usage_stats' in given ? { continuous_usage_stats: false } : {}) } }))
    : body ?? Buffer.from(JSON.stringify(parsed));
  const sse = () => new SseUsageFilter(strip, count);
  const answered = () => c.usage({ requests: 1 }, subject);
  return {
    body: sent,
    sse,
    answered,
    tapBody(status, type) {
      answered();
      if (status !== 200) return undefined;
      if (type?.includes('text/event-stream')) return sse();
      if (type?.includes('json')) return jsonUsageTap(count);
      return undefined;
    },
  };
}

/** Any other /v1 answer (Responses API, vLLM's own embeddings…): whatever `usage` it carries is counted, nothing is
 *  asked for or stripped. */
export function meterAnswer(c: RouteContext, subject: string): Pick<CompletionMeter, 'tapBody'> {
  const count = countUsage(c, subject);
  return {
    tapBody(status, type) {
      c.usage({ requests: 1 }, subject);
      if (status !== 200) return undefined;
      if (type?.includes('text/event-stream')) return new SseUsageFilter(false, count);
      if (type?.includes('json')) return jsonUsageTap(count);
      return undefined;
    },
  };
}

/** Counts one answer's tokens for the request's client, and notes them on the response for the activity log. */
function countUsage(c: RouteContext, subject: string): (u: TokenUsage) => void {
  return (u) => {
    c.usage({ prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }, subject);
    noteCountedUsage(c.res, u);
  };
}

/** Reads `usage` from a JSON answer once it is complete; passes every byte on untouched. */
export function jsonUsageTap(count: (u: TokenUsage) => void): ProxyBodyTap {
  let chunks: Buffer[] | undefined = [];
  let size = 0;
  return {
    data(chunk) {
      if (chunks) {
        size += chunk.length;
        if (size > MAX_JSON) chunks = undefined;
        else chunks.push(chunk);
      }
      return undefined;
    },
    end(complete) {
      if (!complete || !chunks) return undefined;
      const u = usageOf(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      if (u) count(u);
      return undefined;
    },
  };
}

function usageOf(buf: Buffer): TokenUsage | undefined {
  try {
    const j = JSON.parse(buf.toString('utf8')) as { usage?: unknown } | null;
    return tokenUsage(j?.usage);
  } catch {
    return undefined;
  }
}
