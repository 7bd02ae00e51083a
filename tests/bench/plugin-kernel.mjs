// A built-in plugin in the kernel under benchmark, run as `npm start` runs it (the esbuild output in dist/server on
// plain node) in its own process, with its services pointed at fakes that run in processes of their own.
// argv[2]: plugin id; argv[3]: the config.json (JSON text). Prints the kernel's URL on stdout.
import 'reflect-metadata';
import { createTestKernel } from '../../dist/server/core/src/testing/createTestKernel.js';

const k = await createTestKernel({ simulate: false, plugins: [process.argv[2]], config: JSON.parse(process.argv[3]) });
process.stdout.write(`${k.url}\n`);
process.on('SIGTERM', () => { void k.stop().finally(() => process.exit(0)); });
