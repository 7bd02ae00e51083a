import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimContainer } from '../core/src/api/index.js';

/** Writes a running container in the fake docker's state format (sim/fakeroot/lib/docker.mjs) under a host's fake
 *  root, unless one by that name exists: what a simulator's `seedHost` gets as `addContainer`. */
export function addContainer(root: string, c: SimContainer): void {
  const dir = join(root, 'state/containers');
  const file = join(dir, `${c.name}.json`);
  if (existsSync(file)) return;
  mkdirSync(dir, { recursive: true });
  const at = (c.startedAt ?? new Date()).toISOString();
  const restart = c.restartPolicy ?? 'no';
  writeFileSync(file, JSON.stringify({
    Id: createHash('sha256').update(c.name).digest('hex'), Name: c.name, Image: c.image, Cmd: c.cmd, Env: [],
    Args: c.runArgs ?? (restart === 'no' ? [] : ['--restart', restart]), Created: at, RestartPolicy: restart, ImageKnown: true,
    State: { Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: at, FinishedAt: '0001-01-01T00:00:00Z' },
    ...(c.exec ? { Exec: { cmd: c.exec, at, dead: false } } : {}),
  }, null, 2));
  writeFileSync(join(dir, `${c.name}.log`), (c.logLines ?? [`container started from ${c.image}`]).map((l) => `${at} ${l}\n`).join(''));
}
