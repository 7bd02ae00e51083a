import { defineSparkPlugin } from '@spark-control/plugin-api';
import { redactionConfigSchema } from './src/config.js';
import { registerRedaction } from './src/register.js';

/** The only sanctioned path from private data toward cloud models: /scrub before, /rehydrate after. */
export default defineSparkPlugin({
  manifest: {
    id: 'redaction', name: 'Redaction', version: '1.0.0', apiVersion: '^2.0.0', after: ['vllm'],
    description: 'Drops secrets, replaces identities with stable placeholders, and puts them back afterwards.',
  },
  configSchema: redactionConfigSchema,
  register: registerRedaction,
});
