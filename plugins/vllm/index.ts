import { defineSparkPlugin, type SimEnv } from '@spark-control/plugin-api';
import { startFakeVllm } from './sim/fakeVllm.js';
import { seedVllmHost } from './sim/seedHost.js';
import { vllmConfigSchema } from './src/config.js';
import { registerVllm } from './src/register.js';

export { vllmSwapPoint, type VllmSwapHooks } from './src/hooks.js';
export { vllmChatPoint, type VllmChat } from './src/chatPoint.js';

/** The other Sparks' roots: the workers of a launch across Sparks. */
const workerRoots = (roots: Record<string, string>) => Object.entries(roots).filter(([id]) => id !== 'spark-1').map(([, root]) => root);

/** vLLM on the Sparks: model catalog, one-click swap through eugr's launcher, OpenAI proxy, disk, live metrics. */
export default defineSparkPlugin({
  manifest: {
    id: 'vllm', name: 'LLM (vLLM)', version: '1.0.0', apiVersion: '^2.0.0', after: ['cluster'],
    // The port is the default of the `port` setting, which swap and proxy pass explicitly.
    // vllm-2 and vllm-3 serve beside it when models share the Sparks (maxResident; src/swap/slot.ts).
    services: { vllm: { hostId: 'spark-1', port: 8888 }, 'vllm-2': { hostId: 'spark-1', port: 8889 }, 'vllm-3': { hostId: 'spark-1', port: 8890 } },
    description: 'Swap the served model safely, watch it load, and use it through the OpenAI API.',
  },
  configSchema: vllmConfigSchema,
  register: registerVllm,
  simulators: [
    { service: 'vllm', hostId: 'spark-1', seedHost: seedVllmHost, start: (env) => startFakeVllm(env.hostRoots['spark-1'], 'vllm_node', workerRoots(env.hostRoots)) },
    // One fake per extra serving slot, each answering for its own container.
    ...[2, 3].map((k) => ({ service: `vllm-${k}`, hostId: 'spark-1', start: (env: SimEnv) => startFakeVllm(env.hostRoots['spark-1'], `vllm_node-${k}`, workerRoots(env.hostRoots)) })),
  ],
});
