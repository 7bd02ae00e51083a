import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServeCommand, serveKeyOf } from './serveCommand.js';

/** A simulated GB10's MemTotal in KiB (sim/fakeroot/lib/meminfo.sh reports the same). */
const TOTAL_KIB = 127_601_152;

/**
 * What the simulated vLLM holds of the Spark's unified memory, written to `<state>/held-memory/<container>` (KiB) for
 * the simulated /proc/meminfo to count as used: `--gpu-memory-utilization` of the total (vLLM's default 0.9) once the
 * model is loaded, rising linearly while it loads, nothing when no `vllm serve` runs; asleep, what `asleepKiB` says
 * (the fake's sleep state, keyed `<exec time>:<served name>`). Read from the container's state without side effects,
 * every second.
 */
export function trackHeldMemory(state: string, containerName: string, loadMs: () => number, asleepKiB: (key: string, awakeKiB: number) => number = (_k, kib) => kib): () => void {
  const dir = join(state, 'held-memory');
  const file = join(dir, containerName);
  let last = -1;
  const write = (kib: number) => {
    if (kib === last) return;
    last = kib;
    if (kib <= 0) { rmSync(file, { force: true }); return; }
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${file}.tmp`, `${kib}\n`);
    renameSync(`${file}.tmp`, file);
  };
  const tick = () => {
    try { write(heldKiB(join(state, 'containers', `${containerName}.json`), loadMs(), asleepKiB)); } catch { /* next tick */ }
  };
  tick();
  // Every 100 ms: with a 1 s tick a model that answered ready could still show up to a second short of its memory,
  // and a sleep elsewhere read meanwhile took that rise for memory the sleep kept (a 25 GB model "asleep at 21 GB").
  const t = setInterval(tick, 100);
  t.unref();
  return () => { clearInterval(t); write(0); };
}

function heldKiB(containerFile: string, loadMs: number, asleepKiB: (key: string, awakeKiB: number) => number): number {
  const serve = readServeCommand(containerFile);
  if (!serve) return 0;
  const { container: c, words } = serve;
  const u = words.indexOf('--gpu-memory-utilization');
  const util = u > 0 && Number(words[u + 1]) > 0 && Number(words[u + 1]) <= 1 ? Number(words[u + 1]) : 0.9;
  const loaded = Math.min(1, Math.max(0, (Date.now() - Date.parse(c.Exec.at)) / Math.max(1, loadMs)));
  return Math.round(asleepKiB(serveKeyOf(containerFile)!, TOTAL_KIB * util * loaded));
}
