import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomicWrite.js';

interface Pin {
  address: string;
  port: number;
  key: string; // base64 of the SSH wire-format public key
  fingerprint: string;
  pinnedAt: string;
  mismatch?: { key: string; fingerprint: string; seenAt: string };
}

export function fingerprintOf(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** Trust on first use: the first key a host presents is pinned; a different key later blocks the host until the
 *  owner trusts it explicitly. Stored as JSON in the data dir. */
export class HostKeyStore {
  private pins: Record<string, Pin> = {};
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'ssh', 'known_hosts.json');
    if (existsSync(this.file)) {
      try { this.pins = JSON.parse(readFileSync(this.file, 'utf8')); } catch { this.pins = {}; }
    }
  }

  /** Synchronous verdict for ssh2's hostVerifier; persistence of a first pin happens right after. */
  verify(hostId: string, address: string, port: number, key: Buffer): boolean {
    const pin = this.pins[hostId];
    const b64 = key.toString('base64');
    if (!pin || pin.address !== address || pin.port !== port) {
      this.pins[hostId] = { address, port, key: b64, fingerprint: fingerprintOf(key), pinnedAt: new Date().toISOString() };
      void this.save();
      return true;
    }
    if (pin.key === b64) return true;
    if (pin.mismatch?.key !== b64) {
      pin.mismatch = { key: b64, fingerprint: fingerprintOf(key), seenAt: new Date().toISOString() };
      void this.save();
    }
    return false;
  }

  /** The pinned key as OpenSSH writes it in known_hosts and authorized_keys (`ssh-ed25519 AAAA…`); undefined before
   *  the first connection. The key type is the first field of the wire-format blob. */
  openssh(hostId: string): string | undefined {
    const pin = this.pins[hostId];
    if (!pin) return undefined;
    const blob = Buffer.from(pin.key, 'base64');
    if (blob.length < 4) return undefined;
    const len = blob.readUInt32BE(0);
    const type = blob.subarray(4, 4 + len).toString('latin1');
    return /^[a-z0-9@.-]{3,64}$/.test(type) ? `${type} ${pin.key}` : undefined;
  }

  mismatch(hostId: string): Pin['mismatch'] | undefined {
    return this.pins[hostId]?.mismatch;
  }

  async trust(hostId: string): Promise<boolean> {
    const pin = this.pins[hostId];
    if (!pin?.mismatch) return false;
    this.pins[hostId] = { ...pin, key: pin.mismatch.key, fingerprint: pin.mismatch.fingerprint, pinnedAt: new Date().toISOString(), mismatch: undefined };
    await this.save();
    return true;
  }

  list() {
    return Object.entries(this.pins).map(([hostId, p]) => ({
      hostId,
      fingerprint: p.fingerprint,
      pinnedAt: p.pinnedAt,
      ...(p.mismatch ? { mismatch: { fingerprint: p.mismatch.fingerprint, seenAt: p.mismatch.seenAt } } : {}),
    }));
  }

  private async save(): Promise<void> {
    try { await writeFileAtomic(this.file, JSON.stringify(this.pins, null, 2)); } catch { /* best effort; in-memory pin still holds */ }
  }
}
