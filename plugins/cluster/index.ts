import { defineSparkPlugin } from '@spark-control/plugin-api';
import { clusterConfigSchema } from './src/config.js';
import { registerCluster } from './src/register.js';

/** The Spark machines themselves: hardware cards, SSH key install, host keys, VPN badge, connectivity log. */
export default defineSparkPlugin({
  manifest: {
    id: 'cluster', name: 'Sparks', version: '1.0.0', apiVersion: '^2.0.0',
    description: 'One card per Spark (GPU, memory, CPU, disk, containers, VPN), SSH key install, Configure Sparks, connectivity log.',
  },
  configSchema: clusterConfigSchema,
  register: registerCluster,
});
