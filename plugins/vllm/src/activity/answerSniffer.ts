/** What the answer of a /v1 request said about itself: read from at most `maxBytes` of its body (the head of a JSON
 *  answer, the tail of a stream, where vLLM puts `usage` when asked for it). */
export interface AnswerFacts { model: string | null; tokensIn: number | null; tokensOut: number | null }

const MODEL_RE = /"model"\s*:\s*"([^"\\]{1,200})"/;
const USAGE_RE = /"usage"\s*:\s*\{[^{}]*?"prompt_tokens"\s*:\s*(\d+)[^{}]*?"completion_tokens"\s*:\s*(\d+)/g;

/** Keeps the first and the last `maxBytes` of a body (a long stream in between is not kept). */
export class AnswerSniffer {
  private head = '';
  private tail = '';
  constructor(private readonly maxBytes = 16 * 1024) {}

  add(chunk: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const s = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk as Uint8Array).toString('utf8') : '';
    if (this.head.length < this.maxBytes) this.head += s.slice(0, this.maxBytes - this.head.length);
    this.tail = (this.tail + s).slice(-this.maxBytes);
  }

  /** Server-sent events (a stream), told by the body: headers given to writeHead are not readable with getHeader. */
  isEventStream(): boolean {
    return /^(data|event|id|retry)?:/.test(this.head);
  }

  /** `withUsage` false: the tokens are known elsewhere, the body is not searched for them. */
  facts(withUsage = true): AnswerFacts {
    const model = MODEL_RE.exec(this.head)?.[1] ?? null;
    let last: RegExpExecArray | null = null;
    if (withUsage) for (const text of [this.head, this.tail]) for (const m of text.matchAll(USAGE_RE)) last = m;
    return { model, tokensIn: last ? Number(last[1]) : null, tokensOut: last ? Number(last[2]) : null };
  }
}
