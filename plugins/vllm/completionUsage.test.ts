import { describe, expect, it } from 'vitest';
import type { RouteContext } from '@spark-control/plugin-api';
import { meterAnswer, meterCompletion } from './src/usage/completionUsage.js';

/** What the proxy sends vLLM for a completion: usage asked for only on a stream whose client did not ask. */
const ctx = (counted: Array<[Record<string, number>, string | undefined]>) => ({ res: {}, usage: (c: Record<string, number>, s?: string) => counted.push([c, s]) }) as unknown as RouteContext;
const sent = (body: Record<string, unknown>) => JSON.parse(meterCompletion(ctx([]), body, Buffer.from(JSON.stringify(body)), 'm').body.toString());

describe('meterCompletion', () => {
  it('adds include_usage to a stream that did not ask (keeping its other stream options), and only there', () => {
    expect(sent({ model: 'x', stream: true })).toEqual({ model: 'x', stream: true, stream_options: { include_usage: true } });
    expect(sent({ model: 'x', stream: true, stream_options: null })).toEqual({ model: 'x', stream: true, stream_options: { include_usage: true } });
    expect(sent({ model: 'x', stream: true, stream_options: { include_usage: false } })).toEqual({ model: 'x', stream: true, stream_options: { include_usage: true } });
    // continuous_usage_stats applied only with include_usage: asking for the last chunk must not turn it on.
    expect(sent({ stream: true, stream_options: { continuous_usage_stats: true } })).toEqual({ stream: true, stream_options: { include_usage: true, continuous_usage_stats: false } });
    // Untouched: not a stream (vLLM refuses stream_options there), a client that asked, a malformed option (vLLM's 400).
    for (const b of [{ model: 'x' }, { stream: false }, { stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } }, { stream: true, stream_options: ['x'] }]) expect(sent(b)).toEqual(b);
  });

  it('counts a JSON answer\'s usage and the request under the subject; an error answer only as a request', () => {
    const counted: Array<[Record<string, number>, string | undefined]> = [];
    const m = meterCompletion(ctx(counted), { model: 'x' }, undefined, 'cat-id');
    const tap = m.tapBody(200, 'application/json')!;
    const answer = JSON.stringify({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 } });
    expect(tap.data(Buffer.from(answer.slice(0, 10)))).toBeUndefined();
    expect(tap.data(Buffer.from(answer.slice(10)))).toBeUndefined();
    expect(tap.end!(true)).toBeUndefined();
    expect(m.tapBody(400, 'application/json')).toBeUndefined();
    expect(counted).toEqual([[{ requests: 1 }, 'cat-id'], [{ prompt_tokens: 4, completion_tokens: 9 }, 'cat-id'], [{ requests: 1 }, 'cat-id']]);
  });

  it('any other /v1 answer counts the usage it carries: Responses API JSON and its response.completed event', () => {
    const counted: Array<[Record<string, number>, string | undefined]> = [];
    const m = meterAnswer(ctx(counted), 'served');
    const json = m.tapBody(200, 'application/json')!;
    json.data(Buffer.from(JSON.stringify({ object: 'response', usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } })));
    json.end!(true);
    const sse = m.tapBody(200, 'text/event-stream')!;
    const events = 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi"}\n\nevent: response.completed\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":3,"output_tokens":1}}}\n\n';
    expect(sse.data(Buffer.from(events))).toBeUndefined(); // passed through as is
    sse.end!(true);
    expect(counted.filter(([c]) => !('requests' in c))).toEqual([[{ prompt_tokens: 5, completion_tokens: 2 }, 'served'], [{ prompt_tokens: 3, completion_tokens: 1 }, 'served']]);
  });
});
