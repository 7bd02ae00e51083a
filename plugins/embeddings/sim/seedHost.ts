import { appendFileSync, existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { SimHostSeed } from '@spark-control/plugin-api';
import { embeddingsConfigSchema } from '../src/config.js';

/** The embedding service's and Qdrant's containers, running on the Spark their fakes answer for, as the owner's docker
 *  shows them (default names): what the tile's Logs button reads with `docker logs`. */
export function seedEmbeddingsHost(h: SimHostSeed, serviceHost: string): void {
  if (h.hostId !== serviceHost) return;
  const cfg = embeddingsConfigSchema.parse({});
  h.addContainer({
    name: cfg.embeddingsContainer, image: 'spark-embed:latest', restartPolicy: 'unless-stopped',
    cmd: ['uvicorn', 'server:app', '--host', '0.0.0.0', '--port', '8088'],
    logLines: ['INFO:     Started server process [1]', 'loading BAAI/bge-m3 and BAAI/bge-reranker-v2-m3 on cuda:0', 'INFO:     Application startup complete.', 'INFO:     Uvicorn running on http://0.0.0.0:8088 (Press CTRL+C to quit)'],
  });
  h.addContainer({
    name: cfg.qdrantContainer, image: 'qdrant/qdrant:v1.19.0', restartPolicy: 'unless-stopped',
    cmd: ['./entrypoint.sh'],
    logLines: ['INFO storage::content_manager::consensus::persistent: Loading raft state from ./storage/raft_state.json', 'INFO qdrant: Distributed mode disabled', 'INFO qdrant::actix: Qdrant HTTP listening on 6333', 'INFO qdrant::tonic: Qdrant gRPC listening on 6334'],
  });
}

/** Called when a fake answered a request, as the real service's access log line would be written. */
export type AccessLog = (req: IncomingMessage, status: number) => void;

/** Appends what uvicorn (the embedding service) or actix (Qdrant) prints per request to the container's docker log
 *  on `root`'s Spark, so the tile's log shows the searches and health checks as they happen. */
export function accessLogOf(root: string, container: string, style: 'uvicorn' | 'actix'): AccessLog {
  const file = join(root, 'state/containers', `${container}.log`);
  return (req, status) => {
    const request = `${req.method} ${(req.url ?? '/').split('?')[0]} HTTP/${req.httpVersion}`;
    const line = style === 'uvicorn' ? `INFO:     127.0.0.1:${req.socket.remotePort ?? 0} - "${request}" ${status}` : `INFO actix_web::middleware::logger: 127.0.0.1 "${request}" ${status}`;
    try { if (existsSync(file)) appendFileSync(file, `${new Date().toISOString()} ${line}\n`); } catch { /* the container's files went away with it */ }
  };
}
