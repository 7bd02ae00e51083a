import { defineSparkPlugin } from '../../core/src/api/index.js';
import { startFakeVllm } from './sim/fakeVllm.js';
import { seedVllmHost } from './sim/seedHost.js';
import { vllmConfigSchema } from './src/config.js';
import { registerVllm } from './src/register.js';

export { vllmSwapPoint, type VllmSwapHooks } from './src/hooks.js';

/** vLLM on the Sparks: model catalog, one-click swap through eugr's launcher, OpenAI proxy, disk, live metrics. */
export default defineSparkPlugin({
  manifest: {
    id: 'vllm', name: 'LLM (vLLM)', version: '1.0.0', apiVersion: '^1.2.0', after: ['cluster'],
    description: 'Swap the served model safely, watch it load, and use it through the OpenAI API.',
  },
  configSchema: vllmConfigSchema,
  register: registerVllm,
  simulators: [{ service: 'vllm', hostId: 'spark-1', seedHost: seedVllmHost, start: (env) => startFakeVllm(env.hostRoots['spark-1'], 'vllm_node', Object.entries(env.hostRoots).filter(([id]) => id !== 'spark-1').map(([, root]) => root)) }],
});
