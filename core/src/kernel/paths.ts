import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The repo (or installed app) root: the nearest folder up from this file whose package.json is `spark-control`.
 *  Works from sources (tsx/vitest) and from dist/server (transpiled), so assets are read from one place. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'spark-control') return (cachedRoot = dir);
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('spark-control root not found');
    dir = up;
  }
}

/** True when this module runs from the transpiled tree (dist/server), false under tsx/vitest. */
export function runningFromDist(): boolean {
  return fileURLToPath(import.meta.url).includes(`${'/dist/server/'}`);
}

export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SPARK_DATA_DIR || join(process.cwd(), '.data'));
}
