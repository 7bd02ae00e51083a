// The kernel under the accounting benchmark, from the built dist/ as `npm start` runs it, in its own process. One
// plugin proxies /bench/* (an `inference` route) to the upstream given as argv[2]; with BENCH_USAGE_TAP=1 every answer
// goes through the vLLM plugin's own JSON usage tap and its tokens are counted with c.usage, as a completion is.
// SPARK_ACCOUNTING=off in the environment turns the kernel's limits and usage counting off. The URL goes to stdout.
import 'reflect-metadata';
import { z } from 'zod';
import { defineSparkPlugin } from '../../dist/server/core/src/api/index.js';
import { createTestKernel } from '../../dist/server/core/src/testing/createTestKernel.js';
import { jsonUsageTap } from '../../dist/server/plugins/vllm/src/usage/completionUsage.js';

const up = { service: 'bench-upstream', baseUrl: process.argv[2] };
const tap = process.env.BENCH_USAGE_TAP === '1';
const plugin = defineSparkPlugin({
  manifest: { id: 'bench', name: 'bench', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    const r = ctx.publicRoutes('/bench', { scope: 'inference' });
    for (const method of ['GET', 'POST']) {
      r.add({ method, path: '/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, up, {
        path: '/' + c.params.rest,
        ...(tap ? { tapBody: (status) => (status === 200 ? jsonUsageTap((u) => c.usage({ requests: 1, prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }, 'bench-model')) : undefined) } : {}),
      }));
    }
  },
});
const k = await createTestKernel({ simulate: false, plugins: [plugin] });
process.stdout.write(`${k.url}\n`);
process.on('SIGTERM', () => { void k.stop().finally(() => process.exit(0)); });
