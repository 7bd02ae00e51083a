import { defineSparkPlugin } from '@spark-control/plugin-api';
import { matrixBridgeConfigSchema } from './src/config.js';
import { registerMatrixBridge } from './src/register.js';
import { seedMatrixBotHost } from './sim/seedHost.js';

/** The Matrix chat bot's docker container on one Spark, managed over SSH as the bot's own (unprivileged) user. */
export default defineSparkPlugin({
  manifest: {
    id: 'matrix-bridge',
    name: 'Matrix bot',
    version: '1.0.0',
    apiVersion: '^1.4.0',
    description: 'Status, update (git pull + rebuild), restart, stop/start and live logs of the Matrix bot container.',
  },
  configSchema: matrixBridgeConfigSchema,
  register: registerMatrixBridge,
  // Nothing to listen on: the simulated bot is a running container and its repo, planted on its Spark.
  simulators: [{ service: 'matrix-bot', hostId: 'spark-2', seedHost: seedMatrixBotHost }],
});
