import 'reflect-metadata';
import { App } from './kernel/App.js';
import { resolveDataDir } from './kernel/paths.js';

/** Entry point of `npm start` and the StartOS daemon. */
const dataDir = resolveDataDir();
const port = Number(process.env.SPARK_PORT || 9999);
const bind = process.env.SPARK_BIND || '127.0.0.1';

const app = new App({ dataDir, port, bind });
const { port: listening } = await app.start();
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
