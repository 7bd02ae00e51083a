import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { ensureKeyPair, generateUsableKeyPair } from './keyPair.js';

describe('service key pair', () => {
  it('only hands out keys ssh2 can parse (its generator sometimes emits malformed ed25519 keys)', () => {
    for (let i = 0; i < 600; i++) expect(ssh2.utils.parseKey(generateUsableKeyPair().private)).not.toBeInstanceOf(Error);
  });

  it('is created once with a 0600 private key and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kp-'));
    const a = ensureKeyPair(dir);
    expect(a.created).toBe(true);
    expect(statSync(a.privateKeyPath).mode & 0o777).toBe(0o600);
    const b = ensureKeyPair(dir);
    expect(b.created).toBe(false);
    expect(b.publicKey).toBe(a.publicKey);
    expect(readFileSync(a.publicKeyPath, 'utf8').trim()).toMatch(/^ssh-ed25519 \S+ spark-control$/);
  });
});
