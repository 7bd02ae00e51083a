import { defineSparkPlugin } from '@spark-control/plugin-api';
import { startFakeKokoro, startFakeParakeet } from './sim/fakeSpeech.js';
import { accessLogOf, seedSpeechHost } from './sim/seedHost.js';
import { speechConfigSchema } from './src/config.js';
import { registerSpeechLogRoutes } from './src/logRoutes.js';
import { registerSpeech } from './src/register.js';

/** Parakeet transcription + Sortformer diarization, speaker-labelled transcripts, Kokoro TTS — one request at a time per GPU service. */
export default defineSparkPlugin({
  manifest: {
    id: 'speech', name: 'Speech', version: '1.0.0', apiVersion: '^2.0.0', description: 'Transcription, diarization, speaker-labelled transcripts and text to speech.',
    // memoryGB: what each keeps resident on its Spark (models and runtime), left to it when LLMs share that Spark.
    services: { parakeet: { hostId: 'spark-2', port: 8000, memoryGB: 6 }, kokoro: { hostId: 'spark-2', port: 8880, memoryGB: 2 } },
  },
  configSchema: speechConfigSchema,
  // The log routes are wired here, not in register.ts, so they stay apart from the service routes.
  register: (ctx) => { registerSpeech(ctx); registerSpeechLogRoutes(ctx); },
  simulators: [
    { service: 'parakeet', hostId: 'spark-2', start: (env) => startFakeParakeet({ accessLog: accessLogOf(env.hostRoots['spark-2'], speechConfigSchema.parse({}).parakeetContainer) }), seedHost: (h) => seedSpeechHost(h, 'spark-2') },
    { service: 'kokoro', hostId: 'spark-2', start: (env) => startFakeKokoro({ accessLog: accessLogOf(env.hostRoots['spark-2'], speechConfigSchema.parse({}).kokoroContainer) }) },
  ],
});
