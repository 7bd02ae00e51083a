import { defineSparkPlugin } from '@spark-control/plugin-api';
import { startFakeEmbeddings } from './sim/fakeEmbeddings.js';
import { startFakeQdrant } from './sim/fakeQdrant.js';
import { accessLogOf, seedEmbeddingsHost } from './sim/seedHost.js';
import { embeddingsConfigSchema } from './src/config.js';
import { registerEmbeddings } from './src/register.js';

/** bge-m3 embeddings and reranking, Qdrant collections and hybrid (dense + sparse) search. */
export default defineSparkPlugin({
  manifest: {
    id: 'embeddings', name: 'Embeddings & search', version: '1.0.0', apiVersion: '^2.0.0',
    // memoryGB: what each keeps resident on its Spark, left to it when LLMs share that Spark.
    services: { embeddings: { hostId: 'spark-2', port: 8088, memoryGB: 4 }, qdrant: { hostId: 'spark-2', port: 6333, memoryGB: 2 } },
    description: 'OpenAI-shaped embeddings with bge-m3 sparse weights, reranking, Qdrant collections and hybrid search.',
  },
  configSchema: embeddingsConfigSchema,
  register: registerEmbeddings,
  simulators: [
    { service: 'embeddings', hostId: 'spark-2', start: (env) => startFakeEmbeddings({ accessLog: accessLogOf(env.hostRoots['spark-2'], embeddingsConfigSchema.parse({}).embeddingsContainer, 'uvicorn') }), seedHost: (h) => seedEmbeddingsHost(h, 'spark-2') },
    { service: 'qdrant', hostId: 'spark-2', start: (env) => startFakeQdrant({ accessLog: accessLogOf(env.hostRoots['spark-2'], embeddingsConfigSchema.parse({}).qdrantContainer, 'actix') }) },
  ],
});
