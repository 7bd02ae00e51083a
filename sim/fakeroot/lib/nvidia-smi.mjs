// Fake nvidia-smi for a DGX Spark (GB10). NVML has no dedicated framebuffer on this unified-memory part, so memory
// fields print `[N/A]` (newer drivers) — the cluster plugin must fall back to /proc/meminfo. Load follows whether a
// vLLM-like container is running in this host's fake docker.
import { listContainers, STATE, readJson } from './state.mjs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const busy = listContainers().some((c) => c.State?.Running && /vllm/i.test(c.Image + ' ' + c.Name));
const override = readJson(join(STATE, 'nvidia-smi.json'), {});
const jitter = (base, spread) => Math.max(0, Math.round((base + (Math.random() - 0.5) * spread) * 100) / 100);
const values = {
  name: 'NVIDIA GB10',
  'gpu_name': 'NVIDIA GB10',
  uuid: `GPU-${(process.env.SIM_HOST_ID ?? 'spark').padEnd(8, '0').slice(0, 8)}-5a1b-4c2d-8e3f-000000000001`,
  'utilization.gpu': busy ? jitter(62, 30) | 0 : jitter(1, 2) | 0,
  'utilization.memory': '[N/A]',
  'temperature.gpu': busy ? jitter(58, 6) | 0 : jitter(41, 4) | 0,
  'power.draw': busy ? jitter(68.4, 20).toFixed(2) : jitter(11.2, 3).toFixed(2),
  'power.limit': '[N/A]',
  'memory.used': '[N/A]',
  'memory.total': '[N/A]',
  'memory.free': '[N/A]',
  'driver_version': '580.95.05',
  'pstate': busy ? 'P0' : 'P8',
  'clocks.sm': busy ? 2418 : 208,
  ...override,
};

const q = args.find((a) => a.startsWith('--query-gpu='))?.slice('--query-gpu='.length) ?? (args.includes('--query-gpu') ? args[args.indexOf('--query-gpu') + 1] : undefined);
if (q) {
  const nounits = args.some((a) => a.includes('nounits'));
  const fields = q.split(',').map((f) => f.trim());
  const unit = (f, v) => (nounits || String(v).startsWith('[') ? v : f.startsWith('utilization') ? `${v} %` : f.startsWith('power') ? `${v} W` : f.startsWith('clocks') ? `${v} MHz` : v);
  process.stdout.write(fields.map((f) => (f in values ? unit(f, values[f]) : '[N/A]')).join(', ') + '\n');
} else if (args.includes('-L')) {
  process.stdout.write(`GPU 0: NVIDIA GB10 (UUID: ${values.uuid})\n`);
} else {
  process.stdout.write(`+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.95.05              Driver Version: 580.95.05      CUDA Version: 13.0     |
|   0  NVIDIA GB10                    On  |   0000000F:01:00.0 Off |                  N/A |
| N/A   ${values['temperature.gpu']}C    ${values.pstate}            ${values['power.draw']}W /  N/A  | Not Supported          |     ${values['utilization.gpu']}%      Default |
+-----------------------------------------------------------------------------------------+
`);
}
