import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let aptUpdated = false;

/** Make sure a Debian package's binary is there: installs it when running as root (CI), otherwise returns why a test
 *  that needs it has to skip (the caller prints the reason loudly). Undefined = available. */
export function ensureSystemPackage(pkg: string, binary: string): string | undefined {
  if (existsSync(binary)) return undefined;
  if (process.getuid?.() !== 0) return `${binary} is missing and installing ${pkg} needs root (CI runs as root)`;
  try {
    if (!aptUpdated) { execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 180_000 }); aptUpdated = true; }
    execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    return `apt-get install ${pkg} failed: ${(e as Error).message}`;
  }
  return existsSync(binary) ? undefined : `${pkg} installed but ${binary} is still missing`;
}
