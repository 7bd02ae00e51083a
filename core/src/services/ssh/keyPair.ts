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

/** ssh2's generator occasionally (~0.4 % of ed25519 keys, measured 12 in 3,000) emits a private key its own parser
 *  rejects ("Malformed OpenSSH private key"): keep only pairs that parse. */
export function generateUsableKeyPair(comment?: string): { private: string; public: string } {
  for (let i = 0; i < 20; i++) {
    const kp = ssh2.utils.generateKeyPairSync('ed25519', comment ? { comment } : undefined);
    if (!(ssh2.utils.parseKey(kp.private) instanceof Error)) return kp;
  }
  throw new Error('could not generate a usable ed25519 key pair');
}

/** The service's own ed25519 key pair: generated once (private key 0600), reused forever after. */
export function ensureKeyPair(dataDir: string): KeyPairPaths & { publicKey: string; privateKey: string; created: boolean } {
  const paths = keyPairPaths(dataDir);
  mkdirSync(join(dataDir, 'ssh'), { recursive: true, mode: 0o700 });
  let created = false;
  if (!existsSync(paths.privateKeyPath) || !existsSync(paths.publicKeyPath)) {
    const kp = generateUsableKeyPair('spark-control');
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
