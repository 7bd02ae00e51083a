import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandText } from '@spark-control/plugin-api';
import { generateUsableKeyPair } from '../../core/src/testing/keys.js';
import { seedLinkTrust } from '../../sim/cluster.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';
import { vllmConfigSchema } from './src/config.js';
import { parseRsyncProgress } from './src/download.js';
import { copyToSparkCommand } from './src/launch.js';

// The exact command the head runs to copy a model to the other Spark, run with the real rsync on both ends; only ssh
// is the simulator's (it runs the remote `rsync --server` in the other Spark's fake root, as ssh would over the cable).
const missing = ensureSystemPackage('rsync', '/usr/bin/rsync');
if (missing) console.warn(`\n!!! SKIPPING the real-rsync copy test: ${missing}\n`);

describe.skipIf(!!missing)('copying a model to the other Spark over the link (real rsync)', () => {
  it('copies the HF cache directory with its symlinks, reports parseable progress, and makes the copy identical', () => {
    const base = mkdtempSync(join(tmpdir(), 'copy-link-'));
    const headHome = join(base, 'spark-1');
    const workerHome = join(base, 'spark-2');
    const model = join(headHome, '.cache/huggingface/hub/models--org--big');
    mkdirSync(join(model, 'blobs'), { recursive: true });
    mkdirSync(join(model, 'snapshots/abc123'), { recursive: true });
    mkdirSync(join(model, 'refs'), { recursive: true });
    writeFileSync(join(model, 'refs/main'), 'abc123');
    const sizes = [3, 5];
    sizes.forEach((mb, i) => {
      writeFileSync(join(model, 'blobs', `b${i}`), Buffer.alloc(mb * 1024 * 1024, i + 1));
      symlinkSync(`../../blobs/b${i}`, join(model, 'snapshots/abc123', i ? `model-0000${i}.safetensors` : 'config.json'));
    });
    mkdirSync(workerHome, { recursive: true });
    // Two Sparks already linked (the head's key authorized on the worker, the worker's host key known to the head).
    const hostKeys = [headHome, workerHome].map((home) => {
      const kp = generateUsableKeyPair();
      writeFileSync(join(home, '.sim_host_key'), JSON.stringify(kp));
      return kp.public;
    });
    seedLinkTrust([headHome, workerHome], ['10.203.250.1', '10.203.250.2'], hostKeys);
    // Only the simulator's ssh on PATH ahead of the system's rsync.
    const bin = join(base, 'bin');
    mkdirSync(bin);
    symlinkSync(join(import.meta.dirname, '../../sim/fakeroot/bin/ssh'), join(bin, 'ssh'));
    const cfg = vllmConfigSchema.parse({});
    const run = () => spawnSync('bash', ['-c', commandText(copyToSparkCommand(cfg, 'org/big', '10.203.250.2'))], {
      encoding: 'utf8', timeout: 60_000,
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: headHome, SIM_PEERS: JSON.stringify({ '10.203.250.2': { id: 'spark-2', root: workerHome } }) },
    });
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    const progress = r.stdout.split(/[\r\n]/).map((l) => parseRsyncProgress(l)).filter((p) => p !== undefined);
    expect(progress.length).toBeGreaterThan(0);
    // The last line counts every byte; rsync's own percentage can end at 99 (it also counts the file list).
    expect(progress.at(-1)!.bytes).toBe(sizes.reduce((a, b) => a + b, 0) * 1024 * 1024 + 'abc123'.length);
    expect(progress.at(-1)!.pct).toBeGreaterThanOrEqual(99);
    const copy = join(workerHome, '.cache/huggingface/hub/models--org--big');
    expect(readlinkSync(join(copy, 'snapshots/abc123/model-00001.safetensors'))).toBe('../../blobs/b1');
    expect(readFileSync(join(copy, 'snapshots/abc123/model-00001.safetensors')).equals(readFileSync(join(model, 'blobs/b1')))).toBe(true);
    // A stray file on the worker (another revision, a cut download) is removed: both ranks load the same files.
    writeFileSync(join(copy, 'blobs/stray.incomplete'), 'x');
    expect(run().status).toBe(0);
    expect(existsSync(join(copy, 'blobs/stray.incomplete'))).toBe(false);
    // An address that is no Spark: rsync fails with ssh's own words (the download then falls back, see multi-node.test.ts).
    const bad = spawnSync('bash', ['-c', commandText(copyToSparkCommand(cfg, 'org/big', '10.203.250.9'))], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: headHome, SIM_PEERS: '{}' } });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/No route to host/);
    expect(execFileSync('rsync', ['--version'], { encoding: 'utf8' })).toMatch(/rsync\s+version 3\.(2\.[3-9]|[3-9])/); // --mkpath needs ≥ 3.2.3
  });
});
