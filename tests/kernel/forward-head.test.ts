import { describe, expect, it } from 'vitest';
import { forwardHead } from '../../core/src/services/http/forwardHead.js';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));
const base = ['X-Request-Id', 'r-1', 'X-Frame-Options', 'DENY', 'X-Content-Type-Options', 'nosniff'];

describe('the head forwarded from an upstream answer', () => {
  it('keeps end-to-end headers (duplicates too), drops hop-by-hop ones, and lets the upstream override a base header', () => {
    const h = forwardHead(200, raw('Content-Type', 'application/json', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5',
      'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Frame-Options', 'SAMEORIGIN', 'Content-Length', '12'), base);
    expect(h.sse).toBe(false);
    expect(h.headers).toEqual(['X-Request-Id', 'r-1', 'X-Content-Type-Options', 'nosniff',
      'content-type', 'application/json', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-frame-options', 'SAMEORIGIN', 'content-length', '12']);
  });

  it('drops a Content-Length sent beside Transfer-Encoding, and entity headers on 204/304', () => {
    expect(forwardHead(200, raw('Transfer-Encoding', 'chunked', 'Content-Length', '99', 'Content-Type', 'text/plain'), []).headers)
      .toEqual(['content-type', 'text/plain']);
    expect(forwardHead(304, raw('Content-Type', 'text/plain', 'Content-Length', '5', 'ETag', '"x"'), []).headers).toEqual(['etag', '"x"']);
  });

  it('names octet-stream when the upstream names no type, and marks an event stream for flushing', () => {
    expect(forwardHead(200, raw('Date', 'x'), []).headers).toEqual(['date', 'x', 'content-type', 'application/octet-stream']);
    const sse = forwardHead(200, raw('Content-Type', 'text/event-stream; charset=utf-8', 'Cache-Control', 'max-age=60'), []);
    expect(sse.sse).toBe(true);
    expect(sse.headers).toEqual(['content-type', 'text/event-stream; charset=utf-8', 'X-Accel-Buffering', 'no', 'Cache-Control', 'no-cache']);
  });
});
