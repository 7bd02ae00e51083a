import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Puts a plugin's fake command on one simulated Spark, where a user-installed CLI lives (`~/.local/bin`, on the SSH
 *  PATH after the shared fake tools): a bash wrapper that runs the plugin's Node script with the same arguments.
 *  What a simulator's `seedHost` gets as `installTool`. */
export function installTool(root: string, name: string, script: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new Error(`not a command name: ${name}`);
  const bin = join(root, '.local/bin');
  mkdirSync(bin, { recursive: true });
  const quoted = `'${script.replace(/'/g, `'\\''`)}'`;
  writeFileSync(join(bin, name), `#!/usr/bin/env bash\n# Installed by a plugin's simulator (seedHost): ${name} is its fake.\nexec node ${quoted} "$@"\n`);
  chmodSync(join(bin, name), 0o755);
}
