// Fake `rsync [-a] [--partial] [--delete] [--mkpath] [--info=progress2] [-e CMD] SRC/ HOST:DEST/` for the simulated
// Sparks: HOST is another Spark's link address (SIM_PEERS, as the fake ssh resolves it), a relative DEST is under that
// Spark's home. Copies the tree with symlinks kept as links (the HF cache's snapshots point into blobs), and prints
// progress2-style lines separated by `\r` like the real one.
// Knobs in $SIM_STATE/rsync-sim.json: { "fail": "auth" | "missing", "chunkMs": 20 }.
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { checkTrust } from './sshTrust.mjs';

const argv = process.argv.slice(2).map((a) => (a.startsWith('@') ? a.slice(1) : a));
const knobs = (() => { try { return JSON.parse(readFileSync(join(process.env.SIM_STATE ?? '.', 'rsync-sim.json'), 'utf8')); } catch { return {}; } })();
const opts = new Set();
const paths = [];
let rsh = 'ssh';
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '-e' || a === '--rsh') { rsh = argv[++i] ?? rsh; continue; }
  if (a.startsWith('-')) { opts.add(a); continue; }
  paths.push(a);
}
const fail = (code, msg) => { process.stderr.write(msg); process.exit(code); };
if (paths.length !== 2) fail(1, 'rsync: usage: rsync [OPTION]... SRC [USER@]HOST:DEST\n');
const [src, dest] = paths;
const m = /^(?:[^@]+@)?(\[[^\]]+\]|[^:]+):(.*)$/.exec(dest);
if (!m) fail(1, 'fake rsync: only copies to another Spark (HOST:DEST) are simulated\n');
const host = m[1].replace(/^\[|\]$/g, '');
// rsync runs `ssh` (or the -e command) to the other Spark first: what that ssh refuses, rsync reports.
const trust = checkTrust(host, { strict: /StrictHostKeyChecking=(\S+)/.exec(rsh)?.[1] });
if (trust.error) fail(255, `${trust.error}\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]\nrsync error: unexplained error (code 255)\n`);
const peer = trust;
if (knobs.fail === 'auth') fail(255, `spark@${host}: Permission denied (publickey).\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]\nrsync error: unexplained error (code 255)\n`);
if (knobs.fail === 'missing') fail(12, 'bash: line 1: rsync: command not found\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]\nrsync error: error in rsync protocol data stream (code 12)\n');
const from = resolve(src);
if (!existsSync(from)) fail(23, `rsync: [sender] change_dir "${from}" failed: No such file or directory (2)\nrsync error: some files/attrs were not transferred (code 23)\n`);
const to = isAbsolute(m[2]) ? m[2] : join(peer.root, m[2]);
if (!opts.has('--mkpath') && !existsSync(dirname(to.replace(/\/$/, '')))) fail(11, `rsync: [Receiver] mkdir "${m[2]}" failed: No such file or directory (2)\n`);

const size = (p) => { const s = lstatSync(p); return s.isDirectory() ? readdirSync(p).reduce((n, f) => n + size(join(p, f)), 0) : s.isSymbolicLink() ? 0 : s.size; };
const total = size(from);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const line = (bytes, pct, left) => process.stdout.write(`\r${bytes.toLocaleString('en').padStart(15)} ${String(pct).padStart(3)}%  220.00MB/s    0:00:${String(left).padStart(2, '0')} (xfr#1, to-chk=${left}/4)`);
for (const pct of [0, 25, 50, 75]) { line(Math.round((total * pct) / 100), pct, 3 - pct / 25); await sleep(knobs.chunkMs ?? 20); }
if (opts.has('--delete')) rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
cpSync(from, to, { recursive: true, verbatimSymlinks: true, force: true });
line(total, 100, 0);
process.stdout.write('\n');
