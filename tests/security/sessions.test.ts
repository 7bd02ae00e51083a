import { afterEach, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

const TOKEN = 'correct-horse-battery-staple-42';
let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

const json = { 'content-type': 'application/json' };
const login = (token: string) => k!.fetch('/api/login', { method: 'POST', headers: json, body: JSON.stringify({ token }) });
const cookieOf = (r: Response) => (r.headers.get('set-cookie') ?? '').split(';')[0];

/** Opens the event stream and resolves when the server ends it (or 'open' after waitMs). */
async function streamEnd(headers: Record<string, string>, waitMs: number): Promise<{ ended: boolean; text: string }> {
  const ac = new AbortController();
  const res = await k!.fetch('/api/events', { headers, signal: ac.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = '';
  const timer = setTimeout(() => ac.abort(), waitMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { ended: true, text };
      text += new TextDecoder().decode(value);
    }
  } catch {
    return { ended: false, text };
  } finally {
    clearTimeout(timer);
  }
}

describe('sessions', () => {
  it('logout invalidates the session on the server: the old cookie no longer works', async () => {
    k = await createTestKernel({ simulate: false, config: { auth: { token: TOKEN } } });
    const r = await login(TOKEN);
    expect(r.status).toBe(200);
    const cookie = cookieOf(r);
    expect(cookie).toMatch(/^spark_session=.+/);
    expect((await k.fetch('/api/plugins', { headers: { cookie } })).status).toBe(200);
    expect((await k.fetch('/api/logout', { method: 'POST', headers: { cookie } })).status).toBe(200);
    // A client that kept the cookie (or a copy of it) is logged out too.
    expect((await k.fetch('/api/plugins', { headers: { cookie } })).status).toBe(401);
    // Another login gives a new, working session.
    const again = cookieOf(await login(TOKEN));
    expect(again).not.toBe(cookie);
    expect((await k.fetch('/api/plugins', { headers: { cookie: again } })).status).toBe(200);
  });

  it('changing the token ends every session', async () => {
    k = await createTestKernel({ simulate: false, config: { auth: { token: TOKEN } } });
    const cookie = cookieOf(await login(TOKEN));
    const put = await k.fetch('/api/config/auth', { method: 'PUT', headers: { ...json, cookie }, body: JSON.stringify({ token: 'another-token-another-token' }) });
    expect(put.status).toBe(200);
    expect((await k.fetch('/api/plugins', { headers: { cookie } })).status).toBe(401);
  });

  it('an event stream opened before a token was set is closed when it is set; one with the new token stays', async () => {
    k = await createTestKernel({ simulate: false });
    const before = streamEnd({}, 4_000);
    await new Promise((r) => setTimeout(r, 200));
    const put = await k.fetch('/api/config/auth', { method: 'PUT', headers: json, body: JSON.stringify({ token: TOKEN }) });
    expect(put.status).toBe(200);
    const authed = streamEnd({ authorization: `Bearer ${TOKEN}` }, 1_500);
    expect((await before).ended).toBe(true);
    expect((await authed).ended).toBe(false);
  });

  it('an event stream of a session that logs out is closed', async () => {
    k = await createTestKernel({ simulate: false, config: { auth: { token: TOKEN } } });
    const cookie = cookieOf(await login(TOKEN));
    const s = streamEnd({ cookie }, 4_000);
    await new Promise((r) => setTimeout(r, 200));
    await k.fetch('/api/logout', { method: 'POST', headers: { cookie } });
    expect((await s).ended).toBe(true);
  });
});

describe('guessing limits', () => {
  it('/api/login: after 10 wrong tokens the client gets 429 with Retry-After, even for the right one', async () => {
    k = await createTestKernel({ simulate: false, config: { auth: { token: TOKEN } } });
    for (let i = 0; i < 10; i++) expect((await login(`wrong-${i}`)).status).toBe(401);
    const blocked = await login('wrong-again');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await blocked.json()).code).toBe('SPK_RATE_LIMITED');
    expect((await login(TOKEN)).status).toBe(429);
  });

  it('install-key: a wrong SSH password is 422 (not the API token\'s 401); after 5 per Spark, 429', async () => {
    k = await createTestKernel({ plugins: ['cluster'] });
    const install = () => k!.fetch('/api/plugins/cluster/hosts/spark-1/install-key', { method: 'POST', headers: json, body: JSON.stringify({ password: 'not-the-password' }) });
    for (let i = 0; i < 5; i++) {
      const r = await install();
      expect(r.status).toBe(422);
      const body = await r.json();
      expect(body.code).toBe('SPK_SSH_BAD_PASSWORD');
      expect(JSON.stringify(body.errors)).toContain('password');
    }
    const blocked = await install();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another Spark is not blocked by spark-1's guesses.
    expect((await k.fetch('/api/plugins/cluster/hosts/spark-2/install-key', { method: 'POST', headers: json, body: JSON.stringify({ password: 'x' }) })).status).toBe(422);
  }, 60_000);
});
