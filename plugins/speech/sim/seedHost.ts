import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SimHostSeed } from '@spark-control/plugin-api';
import { speechConfigSchema } from '../src/config.js';
import type { AccessLog } from './fakeSpeech.js';

const uvicorn = (port: number, loading: string) => [
  'INFO:     Started server process [1]', 'INFO:     Waiting for application startup.', loading,
  'INFO:     Application startup complete.', `INFO:     Uvicorn running on http://0.0.0.0:${port} (Press CTRL+C to quit)`,
];

/** The speech services' containers, running on the Spark their fakes answer for, as the owner's docker shows them
 *  (default names): what the tile's Logs button reads with `docker logs`. */
export function seedSpeechHost(h: SimHostSeed, serviceHost: string): void {
  if (h.hostId !== serviceHost) return;
  const cfg = speechConfigSchema.parse({});
  h.addContainer({
    name: cfg.parakeetContainer, image: 'parakeet-asr:latest', restartPolicy: 'unless-stopped',
    cmd: ['uvicorn', 'app.main:app', '--host', '0.0.0.0', '--port', '8000'],
    logLines: uvicorn(8000, '[NeMo I] Restoring nvidia/parakeet-tdt-0.6b and diar_sortformer_4spk-v1 on cuda:0'),
  });
  h.addContainer({
    name: cfg.kokoroContainer, image: 'ghcr.io/remsky/kokoro-fastapi-gpu:latest', restartPolicy: 'unless-stopped',
    cmd: ['./entrypoint.sh'],
    logLines: uvicorn(8880, 'Loading Kokoro-82M v1.0 on cuda; 67 voices available'),
  });
}

/** Appends what uvicorn prints per request to the container's docker log on `root`'s Spark, so the tile's log shows
 *  the transcriptions and health checks as they happen. */
export function accessLogOf(root: string, container: string): AccessLog {
  const file = join(root, 'state/containers', `${container}.log`);
  return (req, status) => {
    const line = `INFO:     127.0.0.1:${req.socket.remotePort ?? 0} - "${req.method} ${(req.url ?? '/').split('?')[0]} HTTP/${req.httpVersion}" ${status}`;
    try { if (existsSync(file)) appendFileSync(file, `${new Date().toISOString()} ${line}\n`); } catch { /* the container's files went away with it */ }
  };
}
