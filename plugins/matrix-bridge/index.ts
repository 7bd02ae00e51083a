import { defineSparkPlugin } from '@spark-control/plugin-api';
import { matrixBridgeConfigSchema } from './src/config.js';
import { registerMatrixBridge } from './src/register.js';

/** The Matrix chat bot's docker container on one Spark, managed over SSH as the bot's own (unprivileged) user. */
export default defineSparkPlugin({
  manifest: {
    id: 'matrix-bridge',
    name: 'Matrix bot',
    version: '1.0.0',
    apiVersion: '^1.0.0',
    description: 'Status, update (git pull + rebuild), restart, stop/start and live logs of the Matrix bot container.',
  },
  configSchema: matrixBridgeConfigSchema,
  register: registerMatrixBridge,
});
