/**
 * The kernel's V8 flags (core/src/kernel/nodeFlags.ts) are on every command that starts it for real: npm start, the
 * container image and the StartOS daemon each spell the command out, so this holds the three to the one list.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_NODE_FLAGS } from '../../core/src/kernel/nodeFlags.js';

const root = join(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const MAIN = 'dist/server/core/src/main.js';

/** The arguments between `node` and the entry point of one start command. */
function flagsBefore(command: string[]): string[] {
  expect(command[0]).toBe('node');
  const at = command.indexOf(MAIN);
  expect(at, `${MAIN} in ${JSON.stringify(command)}`).toBeGreaterThan(0);
  return command.slice(1, at);
}

describe('the kernel process starts with its V8 flags everywhere', () => {
  it('npm start, the Dockerfile CMD and the StartOS daemon command carry exactly the flags of nodeFlags.ts', () => {
    expect(KERNEL_NODE_FLAGS.length).toBeGreaterThan(0);
    const npmStart = JSON.parse(read('package.json')).scripts.start as string;
    const run = npmStart.split('&&').map((s) => s.trim()).find((s) => s.includes(MAIN))!;
    expect(flagsBefore(run.split(/\s+/))).toEqual([...KERNEL_NODE_FLAGS]);

    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'));
    expect(cmd, 'a CMD line in exec form').not.toBeNull();
    expect(flagsBefore(JSON.parse(cmd![1]))).toEqual([...KERNEL_NODE_FLAGS]);

    const daemon = /command: (\[[^\]]*\])/.exec(read('package/startos/main.ts'));
    expect(daemon, 'the daemon command in package/startos/main.ts').not.toBeNull();
    expect(flagsBefore(JSON.parse(daemon![1].replace(/'/g, '"')))).toEqual([...KERNEL_NODE_FLAGS]);
  });

  it('node accepts them (a misspelt flag makes node exit with "bad option" before the kernel starts)', () => {
    const r = spawnSync(process.execPath, [...KERNEL_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok');
  });
});
