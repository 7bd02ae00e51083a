// The kernel under benchmark, run as `npm start` runs it: the esbuild output in dist/server on plain node (no tsx
// transform, no keep-names wrappers), in its own process so its RSS and CPU are its own. One plugin proxies
// /bench/* to the fake upstream given as argv[2]; the URL is printed on stdout.
import 'reflect-metadata';
import { z } from 'zod';
import { defineSparkPlugin } from '../../dist/server/core/src/api/index.js';
import { createTestKernel } from '../../dist/server/core/src/testing/createTestKernel.js';

const up = { service: 'bench-upstream', baseUrl: process.argv[2] };
const plugin = defineSparkPlugin({
  manifest: { id: 'bench', name: 'bench', version: '1.0.0', apiVersion: '^2.0.0' },
  configSchema: z.object({}),
  register(ctx) {
    for (const method of ['GET', 'POST']) {
      ctx.publicRoutes('/bench').add({ method, path: '/*rest', bodyMode: 'raw' }, (c) => ctx.http.proxy(c, up, { path: '/' + c.params.rest }));
    }
  },
});
const k = await createTestKernel({ simulate: false, plugins: [plugin] });
process.stdout.write(`${k.url}\n`);
process.on('SIGTERM', () => { void k.stop().finally(() => process.exit(0)); });
