import { afterEach, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';

let k: TestKernel | undefined;
afterEach(async () => { await k?.stop(); k = undefined; });

describe('PUT /api/config/auth', () => {
  it('its OpenAPI schema states the 16-character minimum (and that empty clears the token)', async () => {
    k = await createTestKernel({ simulate: false });
    const doc = await (await k.fetch('/api/openapi.json')).json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };
    const schema = doc.paths['/api/config/auth'].put.requestBody!.content['application/json'].schema;
    const text = JSON.stringify(schema);
    expect(text).toContain('"minLength":16');
    expect(text).toContain('"maxLength":256');
    expect(text).toMatch(/"const":""|"maxLength":0/);
  });

  it('refuses a short token naming the field and the minimum; empty clears it; 16 characters set it', async () => {
    k = await createTestKernel({ simulate: false });
    const put = (token: string) => k!.fetch('/api/config/auth', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const short = await put('short');
    expect(short.status).toBe(400);
    const body = await short.json() as { errors: Array<{ field: string; message: string }> };
    expect(body.errors[0].field).toMatch(/token/);
    expect(body.errors[0].message).toMatch(/16/);
    expect((await put('0123456789abcdef')).status).toBe(200);
    expect((await put('')).status).toBe(401); // the token is set now: clearing needs it
    expect((await k.fetch('/api/config/auth', { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer 0123456789abcdef' }, body: '{"token":""}' })).status).toBe(200);
  });
});
