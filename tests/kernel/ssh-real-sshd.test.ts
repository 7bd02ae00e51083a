import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { sshdUnavailableReason, startRealSshd, type RealSshd } from '../helpers/sshd.js';

const reason = sshdUnavailableReason();
if (reason) console.warn(`\n!!! SKIPPING real-sshd SSH tests: ${reason}\n`);

describe.skipIf(!!reason)('SSH pool against a real OpenSSH sshd', () => {
  let sshd: RealSshd;
  let k: TestKernel;
  const canary = `/tmp/spark-canary-${process.pid}`;

  beforeAll(async () => {
    sshd = await startRealSshd();
    k = await createTestKernel({
      simulate: false,
      config: { hosts: [{ id: 'spark-1', name: 'Spark 1', address: '127.0.0.1', sshUser: sshd.user, sshPort: sshd.port }] },
      ssh: { connectTimeoutMs: 4000, keepaliveIntervalMs: 1000, keepaliveCountMax: 2 },
    });
  }, 120_000);
  afterAll(async () => { await k?.stop(); await sshd?.stop(); rmSync(canary, { force: true }); });

  const ssh = () => k.app.services.ssh;

  it('refuses a login before the key is installed, with an error naming host and user', async () => {
    await expect(ssh().exec('spark-1', ['true'])).rejects.toMatchObject({ code: 'SPK_SSH_AUTH', status: 502, message: expect.stringContaining('spark-1') });
  });

  it('installs the service key with a one-time password: bad password 422 (the request was authorised, the password is wrong), then added once, never duplicated', async () => {
    await expect(ssh().installKey('spark-1', 'wrong-password')).rejects.toMatchObject({ code: 'SPK_SSH_BAD_PASSWORD', status: 422 });
    expect(await ssh().installKey('spark-1', sshd.password)).toEqual({ added: true });
    expect(await ssh().installKey('spark-1', sshd.password)).toEqual({ added: false });
    const keys = readFileSync(join(sshd.home, '.ssh/authorized_keys'), 'utf8').trim().split('\n');
    expect(keys).toEqual([k.app.services.keyPair.publicKey]);
  });

  it('runs commands over one reused connection with stdout, stderr and exit codes', async () => {
    const r = await ssh().exec('spark-1', ['bash', '-c', 'echo hi; echo err >&2; exit 3']);
    expect(r).toMatchObject({ stdout: 'hi\n', stderr: 'err\n', code: 3 });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) expect((await ssh().exec('spark-1', ['true'])).code).toBe(0);
    // Reused connection: five execs well under five new handshakes (~130 ms each on this machine).
    expect(performance.now() - t0).toBeLessThan(5 * 400);
  });

  it('passes hostile argv values as single literal arguments (nothing executes)', async () => {
    const hostile = [`a'b"c`, '$(touch ' + canary + ')', '`touch ' + canary + '`', '; touch ' + canary, '| touch ' + canary, '&& touch ' + canary, 'x\ntouch ' + canary, '*', '-rf', 'ＳＥＭＩ；'];
    for (const h of hostile) {
      const r = await ssh().exec('spark-1', ['printf', '%s', h]);
      expect(r.stdout).toBe(h);
    }
    expect(existsSync(canary)).toBe(false);
    await expect(Promise.resolve().then(() => ssh().exec('spark-1', ['printf', 'a\0b']))).rejects.toThrow(/NUL/);
  });

  it('times out a hanging command (504) and kills it on abort', async () => {
    const t0 = Date.now();
    await expect(ssh().exec('spark-1', ['sleep', '30'], { timeoutMs: 400 })).rejects.toMatchObject({ code: 'SPK_SSH_TIMEOUT', status: 504 });
    expect(Date.now() - t0).toBeLessThan(3000);
    const ac = new AbortController();
    const p = ssh().exec('spark-1', ['sleep', '31'], { signal: ac.signal, timeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 200);
    await expect(p).rejects.toMatchObject({ code: 'SPK_ABORTED' });
    // Nothing keeps running on the host after a timeout or a cancel.
    const end = Date.now() + 3000;
    let left = '';
    while (Date.now() < end) {
      left = (await ssh().exec('spark-1', ['sh', '-c', 'ps -u "$(id -u)" -o args= | grep "^sleep 3[01]" || true'])).stdout.trim();
      if (!left) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe('');
  });

  it('streams output line by line as it is produced', async () => {
    const lines: Array<[string, number]> = [];
    const r = await ssh().stream('spark-1', ['bash', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.15; done'], { onLine: (l) => lines.push([l, Date.now()]) });
    expect(r.code).toBe(0);
    expect(lines.map((x) => x[0])).toEqual(['line1', 'line2', 'line3']);
    expect(lines[2][1] - lines[0][1]).toBeGreaterThan(200);
  });

  it('pins the host key on first use and blocks a changed key until it is trusted', async () => {
    expect(ssh().exec.length).toBeGreaterThan(0);
    const before = k.app.services.hostKeys.list().find((h) => h.hostId === 'spark-1');
    expect(before?.fingerprint).toMatch(/^SHA256:/);
    await sshd.restart({ newHostKey: true });
    ssh().reset('spark-1');
    await expect(ssh().exec('spark-1', ['true'])).rejects.toMatchObject({ code: 'SPK_SSH_HOST_KEY_CHANGED' });
    // Still blocked on the next attempt (no silent re-pin).
    await expect(ssh().exec('spark-1', ['true'])).rejects.toMatchObject({ code: 'SPK_SSH_HOST_KEY_CHANGED' });
    const pending = k.app.services.hostKeys.list().find((h) => h.hostId === 'spark-1');
    expect(pending?.mismatch?.fingerprint).toMatch(/^SHA256:/);
    expect(await k.app.services.hostKeys.trust('spark-1')).toBe(true);
    expect((await ssh().exec('spark-1', ['true'])).code).toBe(0);
  });

  it('reports a dropped connection as a transport transition and reconnects on the next exec', async () => {
    const events: string[] = [];
    const off = ssh().onConnectionChange((e) => events.push(`${e.hostId}:${e.state}`));
    const first = await ssh().exec('spark-1', ['true']);
    expect(first, JSON.stringify(first)).toMatchObject({ code: 0 });
    sshd.dropSessions();
    const end = Date.now() + 5000;
    while (!events.includes('spark-1:down') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(events).toContain('spark-1:down');
    expect((await ssh().exec('spark-1', ['echo', 'back'])).stdout).toBe('back\n');
    expect(events.at(-1)).toBe('spark-1:up');
    off();
  });
});
