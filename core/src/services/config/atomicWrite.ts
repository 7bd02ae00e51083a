import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../api/types.js';

/** Write a file so a crash at any moment leaves either the old or the new content: temp file in the same
 *  directory → fsync → rename over the target → fsync the directory. On failure (e.g. disk full) the temp file is
 *  removed and the old file is untouched. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  const dh = await open(dir, 'r');
  try { await dh.sync(); } catch { /* some filesystems refuse fsync on dirs */ } finally { await dh.close(); }
}

/** Synchronous twin for start-up paths (key generation before the server listens). */
export function writeFileAtomicSync(path: string, data: string | Buffer, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Removes the temp files a writer killed between open and rename left next to `path` (`.<name>.<12 hex>.tmp`, the
 *  names writeFileAtomic makes). Call it once at start-up, before anything writes `path`. */
export function removeStaleTemps(path: string, log?: Logger): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    if (!n.startsWith(prefix) || !/^[0-9a-f]{12}\.tmp$/.test(n.slice(prefix.length))) continue;
    try {
      unlinkSync(join(dir, n));
      log?.warn('removed a temp file left by an interrupted write', { file: n });
    } catch { /* another process's, or gone */ }
  }
}
