import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandText, type ShellCommand } from '@spark-control/plugin-api';
import { generateUsableKeyPair } from '../../core/src/testing/keys.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';
import { headKeyCommand, knownHostCommand } from './src/linkSparks.js';

// The head's side of Link Sparks, run with real bash and the real ssh-keygen in a temporary home.
const missing = ensureSystemPackage('openssh-client', '/usr/bin/ssh-keygen');
if (missing) console.warn(`\n!!! SKIPPING the Link Sparks command tests: ${missing}\n`);
const run = (home: string, cmd: ShellCommand) => spawnSync('bash', ['-c', commandText(cmd)], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: home } });
const keygen = (...args: string[]) => spawnSync('ssh-keygen', args, { encoding: 'utf8' });

describe.skipIf(!!missing)('Link Sparks commands on the head (real ssh-keygen)', () => {
  it('reuses a key that opens without a passphrase, makes an ed25519 one when there is none, and refuses a locked one', () => {
    const home = mkdtempSync(join(tmpdir(), 'link-head-'));
    const made = run(home, headKeyCommand('spark-control-link@spark-1'));
    expect(made.status, made.stderr).toBe(0);
    const [status, pub] = made.stdout.trim().split('\n');
    expect(status).toBe(`created ${home}/.ssh/id_ed25519`);
    expect(pub).toMatch(/^ssh-ed25519 \S+ spark-control-link@spark-1$/);
    const again = run(home, headKeyCommand('x'));
    expect(again.stdout.trim().split('\n')).toEqual([`existing ${home}/.ssh/id_ed25519`, pub]);

    const locked = mkdtempSync(join(tmpdir(), 'link-head-'));
    mkdirSync(join(locked, '.ssh'), { mode: 0o700 });
    expect(keygen('-q', '-t', 'ed25519', '-N', 'secret words', '-f', join(locked, '.ssh/id_ed25519')).status).toBe(0);
    const r = run(locked, headKeyCommand('x'));
    expect(r.status).toBe(3);
    expect(r.stdout.trim()).toBe('locked ~/.ssh/id_ed25519');
    // …unless another default key opens freely: that one is used.
    expect(keygen('-q', '-t', 'ecdsa', '-N', '', '-f', join(locked, '.ssh/id_ecdsa')).status).toBe(0);
    expect(run(locked, headKeyCommand('x')).stdout.split('\n')[0]).toBe(`existing ${locked}/.ssh/id_ecdsa`);
  });

  it('replaces every entry for the address (hashed ones too) with exactly the given host key, leaving other hosts alone', () => {
    const home = mkdtempSync(join(tmpdir(), 'link-known-'));
    mkdirSync(join(home, '.ssh'));
    const stale = generateUsableKeyPair().public.trim().split(' ').slice(0, 2).join(' ');
    const other = generateUsableKeyPair().public.trim().split(' ').slice(0, 2).join(' ');
    const file = join(home, '.ssh/known_hosts');
    writeFileSync(file, `10.0.0.2 ${stale}\n10.0.0.3 ${other}\n`);
    expect(keygen('-H', '-f', file).status).toBe(0); // hashed, as Ubuntu's HashKnownHosts writes them
    const fresh = generateUsableKeyPair('comment dropped').public.trim();
    expect(run(home, knownHostCommand('10.0.0.2', fresh)).stdout.trim()).toBe('ok');
    const lookup = (host: string) => keygen('-F', host, '-f', file).stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ').slice(1).join(' '));
    expect(lookup('10.0.0.2')).toEqual([fresh.split(' ').slice(0, 2).join(' ')]);
    expect(lookup('10.0.0.3')).toEqual([other]);
    expect(readFileSync(file, 'utf8')).not.toContain(stale.split(' ')[1]);
  });

  it('refuses a host key that is not one OpenSSH key line', () => {
    expect(() => knownHostCommand('10.0.0.2', 'ssh-ed25519 AAAA\n10.0.0.9 ssh-rsa BBBB')).toThrow(TypeError);
  });
});
