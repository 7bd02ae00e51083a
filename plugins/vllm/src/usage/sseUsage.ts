import type { ProxyBodyTap } from '@spark-control/plugin-api';
import { tokenUsage, type TokenUsage } from './tokenUsage.js';

const USAGE = Buffer.from('"usage"');
const LF2 = Buffer.from('\n\n');
const CRLF2 = Buffer.from('\n\r\n');
/** An event larger than this without its blank line is passed on as it is (never held back for long). */
const MAX_PENDING = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** Index just past the last blank line (the end of the last complete event), or -1. */
function lastEventEnd(b: Buffer): number {
  const a = b.lastIndexOf(LF2);
  const c = b.lastIndexOf(CRLF2);
  return Math.max(a < 0 ? -1 : a + 2, c < 0 ? -1 : c + 3);
}

/** Index just past the first blank line at or after `from`, or -1. */
function nextEventEnd(b: Buffer, from: number): number {
  const a = b.indexOf(LF2, from);
  const c = b.indexOf(CRLF2, from);
  if (a < 0) return c < 0 ? -1 : c + 3;
  return c < 0 || a < c ? a + 2 : c + 3;
}

const endsAtEvent = (b: Buffer) => b.length >= 2 && b[b.length - 1] === 0x0a && (b[b.length - 2] === 0x0a || (b[b.length - 2] === 0x0d && b[b.length - 3] === 0x0a));

/**
 * Reads vLLM's usage from an OpenAI event stream as it passes: the last `data:` event carrying `usage` is what is
 * counted, once, when the stream ends. With `strip`, the usage chunk (`choices: []` plus `usage`, which vLLM sends
 * only because the proxy asked for it) is taken out, so the client gets exactly the stream it asked for. Chunks
 * without `"usage"` that end on an event boundary pass untouched and unparsed; only an event split across chunks is
 * held until its blank line.
 */
export class SseUsageFilter implements ProxyBodyTap {
  readonly rewrites: boolean;
  private pending: Buffer | undefined;
  private last: TokenUsage | undefined;
  private counted = false;

  constructor(private readonly strip: boolean, private readonly count: (u: TokenUsage) => void) {
    this.rewrites = strip;
  }

  data(chunk: Buffer): Buffer | undefined {
    if (!this.pending && chunk.indexOf(USAGE) < 0 && endsAtEvent(chunk)) return undefined;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = lastEventEnd(buf);
    if (end < 0) {
      if (buf.length > MAX_PENDING) { this.pending = undefined; return buf; }
      this.pending = Buffer.from(buf); // a copy: undici may reuse the chunk's memory
      return EMPTY;
    }
    this.pending = end < buf.length ? Buffer.from(buf.subarray(end)) : undefined;
    const out = this.filter(end === buf.length ? buf : buf.subarray(0, end));
    return out === buf && buf === chunk ? undefined : out;
  }

  end(complete: boolean): Buffer | undefined {
    const rest = this.pending;
    this.pending = undefined;
    const out = rest && complete ? this.filter(rest) : undefined;
    if (this.last && !this.counted) { this.counted = true; this.count(this.last); }
    return out;
  }

  /** Complete events: notes their usage, and drops the usage chunk when stripping. Returns `b` itself when unchanged. */
  private filter(b: Buffer): Buffer {
    if (b.indexOf(USAGE) < 0) return b;
    const kept: Buffer[] = [];
    let changed = false;
    for (let at = 0; at < b.length;) {
      const stop = nextEventEnd(b, at);
      const end = stop < 0 ? b.length : stop;
      const event = b.subarray(at, end);
      at = end;
      if (event.indexOf(USAGE) >= 0 && this.noteUsage(event) && this.strip) { changed = true; continue; }
      kept.push(event);
    }
    return changed ? Buffer.concat(kept) : b;
  }

  /** Records the event's usage; true when it is the usage chunk (no choices). */
  private noteUsage(event: Buffer): boolean {
    const data = event.toString('utf8').split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (!data.startsWith('{')) return false;
    let j: { usage?: unknown; choices?: unknown; response?: { usage?: unknown } };
    try { j = JSON.parse(data) as typeof j; } catch { return false; }
    // The Responses API carries it in its last event, `response.completed`.
    const u = tokenUsage(j.usage ?? j.response?.usage);
    if (!u) return false;
    this.last = u;
    return Array.isArray(j.choices) && j.choices.length === 0;
  }
}
