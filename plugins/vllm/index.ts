import { defineSparkPlugin } from '@spark-control/plugin-api';
import { startFakeVllm } from './sim/fakeVllm.js';
import { seedVllmHost } from './sim/seedHost.js';
import { vllmConfigSchema } from './src/config.js';
import { registerVllm } from './src/register.js';

export { vllmSwapPoint, type VllmSwapHooks } from './src/hooks.js';
export { vllmChatPoint, type VllmChat } from './src/chatPoint.js';

/** vLLM on the Sparks: model catalog, one-click swap through eugr's launcher, OpenAI proxy, disk, live metrics. */
export default defineSparkPlugin({
  manifest: {
    id: 'vllm', name: 'LLM (vLLM)', version: '1.0.0', apiVersion: '^1.4.0', after: ['cluster'],
    // The port is the default of the `port` setting, which swap and proxy pass explicitly.
    services: { vllm: { hostId: 'spark-1', port: 8888 } },
    description: 'Swap the served model safely, watch it load, and use it through the OpenAI API.',
  },
  configSchema: vllmConfigSchema,
  register: registerVllm,
  simulators: [{ service: 'vllm', hostId: 'spark-1', seedHost: seedVllmHost, start: (env) => startFakeVllm(env.hostRoots['spark-1'], 'vllm_node', Object.entries(env.hostRoots).filter(([id]) => id !== 'spark-1').map(([, root]) => root)) }],
});
