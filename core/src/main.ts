import 'reflect-metadata';
import { App } from './kernel/App.js';
import { resolveDataDir } from './kernel/paths.js';

/** Entry point of `npm start` and the StartOS daemon. */
const fail = (message: string): never => {
  process.stderr.write(`\n  Spark Control cannot start: ${message}\n\n`);
  process.exit(1);
};
const dataDir = resolveDataDir();
const port = Number(process.env.SPARK_PORT || 9999);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`SPARK_PORT must be a port number (0-65535), got "${process.env.SPARK_PORT}"`);
const bind = process.env.SPARK_BIND || '127.0.0.1';

// The simulated cluster of `npm start` begins busy serving; SPARK_SIM_PRELOAD=0 starts it empty.
// It runs in its own process, so a fake that crashes is restarted instead of ending the control plane.
const app = new App({ dataDir, port, bind, simPreload: process.env.SPARK_SIM_PRELOAD !== '0', simProcess: true });
const { port: listening } = await app.start().catch(async (e: NodeJS.ErrnoException) => {
  await app.stop().catch(() => {});
  if (e.code === 'EADDRINUSE') return fail(`port ${port} on ${bind} is already in use (is Spark Control already running?). Stop the other program or set SPARK_PORT to another port.`);
  if (e.code === 'EADDRNOTAVAIL') return fail(`SPARK_BIND=${bind} is not an address of this machine.`);
  if (e.code === 'EACCES') return fail(`not allowed to listen on ${bind}:${port} (ports below 1024 need privileges) or to write ${dataDir}.`);
  throw e;
});
const shown = bind === '0.0.0.0' ? 'localhost' : bind === '127.0.0.1' ? 'localhost' : bind;
const banner = [
  '',
  `  Spark Control ${app.version} — dashboard at http://${shown}:${listening}`,
  app.isSimulated()
    ? '  Running on the SIMULATED cluster (no hosts configured). Configure Sparks in the dashboard to control real ones.'
    : `  Controlling ${app.services.topology.hosts().length} Spark host(s).`,
  `  Data directory: ${dataDir}`,
  '',
].join('\n');
process.stdout.write(banner + '\n');

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    app.log.info('shutting down', { signal: sig });
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    app.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
