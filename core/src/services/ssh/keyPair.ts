import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { writeFileAtomicSync } from '../config/atomicWrite.js';

export interface KeyPairPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

export function keyPairPaths(dataDir: string): KeyPairPaths {
  return { privateKeyPath: join(dataDir, 'ssh', 'id_ed25519'), publicKeyPath: join(dataDir, 'ssh', 'id_ed25519.pub') };
}

/** The service's own ed25519 key pair: generated once (private key 0600), reused forever after. */
export function ensureKeyPair(dataDir: string): KeyPairPaths & { publicKey: string; privateKey: string; created: boolean } {
  const paths = keyPairPaths(dataDir);
  mkdirSync(join(dataDir, 'ssh'), { recursive: true, mode: 0o700 });
  let created = false;
  if (!existsSync(paths.privateKeyPath) || !existsSync(paths.publicKeyPath)) {
    const kp = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'spark-control' });
    writeFileAtomicSync(paths.privateKeyPath, kp.private, 0o600);
    writeFileAtomicSync(paths.publicKeyPath, kp.public.trim() + '\n', 0o644);
    created = true;
  }
  chmodSync(paths.privateKeyPath, 0o600);
  return {
    ...paths,
    privateKey: readFileSync(paths.privateKeyPath, 'utf8'),
    publicKey: readFileSync(paths.publicKeyPath, 'utf8').trim(),
    created,
  };
}
