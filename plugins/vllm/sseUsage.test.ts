import { describe, expect, it } from 'vitest';
import { SseUsageFilter } from './src/usage/sseUsage.js';
import type { TokenUsage } from './src/usage/tokenUsage.js';

/** The stream filter on its own: whatever way the upstream cuts the stream into chunks, the client gets the same
 *  bytes minus the usage chunk, and the usage is counted once. */
const chunk = (n: number) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"w${n}"},"finish_reason":null}]}\n\n`;
const usage = 'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"total_tokens":12,"completion_tokens":5}}\n\n';
const done = 'data: [DONE]\n\n';
const stream = chunk(0) + chunk(1) + chunk(2) + usage + done;

function run(pieces: string[], strip: boolean): { out: string; counted: TokenUsage[]; untouched: number } {
  const counted: TokenUsage[] = [];
  const f = new SseUsageFilter(strip, (u) => counted.push(u));
  let out = '';
  let untouched = 0;
  for (const p of pieces) {
    const b = Buffer.from(p);
    const r = f.data(b);
    if (r === undefined) untouched++;
    out += (r ?? b).toString();
  }
  out += f.end(true)?.toString() ?? '';
  return { out, counted, untouched };
}
/** Every way to cut `s` in two and three pieces at a stride. */
function cuts(s: string, stride: number): string[][] {
  const out: string[][] = [];
  for (let i = 1; i < s.length; i += stride) {
    out.push([s.slice(0, i), s.slice(i)]);
    for (let j = i + stride; j < s.length; j += stride * 7) out.push([s.slice(0, i), s.slice(i, j), s.slice(j)]);
  }
  return out;
}

describe('SseUsageFilter', () => {
  it('strips the usage chunk and counts it once, however the stream is cut', () => {
    const want = chunk(0) + chunk(1) + chunk(2) + done;
    for (const pieces of [[stream], [chunk(0), chunk(1), chunk(2), usage, done], ...cuts(stream, 5)]) {
      const r = run(pieces, true);
      expect(r.out, JSON.stringify(pieces.map((p) => p.length))).toBe(want);
      expect(r.counted).toEqual([{ prompt_tokens: 7, completion_tokens: 5 }]);
    }
  });

  it('passes a stream whose client asked for usage through byte for byte, and counts it', () => {
    for (const pieces of [[stream], ...cuts(stream, 11)]) {
      const r = run(pieces, false);
      expect(r.out).toBe(stream);
      expect(r.counted).toEqual([{ prompt_tokens: 7, completion_tokens: 5 }]);
    }
  });

  it('leaves chunks that end on an event and carry no usage untouched (no copy)', () => {
    const r = run([chunk(0), chunk(1), chunk(2) + usage, done], true);
    expect(r.untouched).toBe(3);
  });

  it('handles CRLF line ends, a last event without its blank line, and counts nothing without usage', () => {
    const crlf = stream.replace(/\n/g, '\r\n');
    expect(run(cuts(crlf, 13)[4], true).out).toBe((chunk(0) + chunk(1) + chunk(2) + done).replace(/\n/g, '\r\n'));
    const unterminated = run([chunk(0) + usage.trimEnd()], true);
    expect(unterminated.out).toBe(chunk(0));
    expect(unterminated.counted).toHaveLength(1);
    expect(run([chunk(0), done], true).counted).toEqual([]);
  });

  it('a stream cut off counts the last usage seen (continuous usage) and sends nothing held back', () => {
    const counted: TokenUsage[] = [];
    const f = new SseUsageFilter(false, (u) => counted.push(u));
    const cont = 'data: {"choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":7,"completion_tokens":1}}\n\n';
    expect(f.data(Buffer.from(cont))).toBeUndefined();
    expect(f.data(Buffer.from('data: {"choices":[{"delta":'))!.length).toBe(0);
    expect(f.end(false)).toBeUndefined();
    expect(counted).toEqual([{ prompt_tokens: 7, completion_tokens: 1 }]);
  });

  it('never holds an event without a blank line past 1 MiB', () => {
    const f = new SseUsageFilter(true, () => {});
    const big = Buffer.alloc(1024 * 1024 + 10, 'a');
    expect(f.data(Buffer.from('data: '))!.length).toBe(0);
    expect(f.data(big)!.length).toBe(big.length + 6);
  });
});
