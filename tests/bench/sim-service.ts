/** One plugin's simulated service in a process of its own (argv: plugin id, service name), so a benchmark's fakes do not
 *  share an event loop with the kernel under test, as the real services on a Spark do not. Prints the port. */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SparkPlugin } from '../../core/src/api/index.js';

const [pluginId, service] = process.argv.slice(2);
const plugin = (await import(`../../plugins/${pluginId}/index.js`)).default as SparkPlugin;
const sim = plugin.simulators?.find((s) => s.service === service);
if (!sim?.start) throw new Error(`plugin ${pluginId} has no simulated ${service}`);
const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
// The service's Spark gets a root of its own (simulators write their container's access log under it; the bench
// seeds no container, so nothing is written).
const stateDir = mkdtempSync(join(tmpdir(), `bench-${service}-`));
const hostRoots = sim.hostId ? { [sim.hostId]: stateDir } : {};
const started = await sim.start({ stateDir, hostRoots, log: silent as never });
process.stdout.write(`${started.port}\n`);
process.on('SIGTERM', () => { void started.close().finally(() => process.exit(0)); });
