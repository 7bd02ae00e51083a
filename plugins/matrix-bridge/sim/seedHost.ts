import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimHostSeed } from '../../../core/src/api/index.js';

/** The bot as it is on the owner's second Spark: its source repo (one commit behind its remote) and its container
 *  already running. Planted once: a repo the dashboard updated since is left as it is. */
export function seedMatrixBotHost(h: SimHostSeed): void {
  if (h.hostId !== 'spark-2' || existsSync(join(h.root, 'matrix-bot'))) return;
  mkdirSync(join(h.root, 'matrix-bot'), { recursive: true });
  writeFileSync(join(h.root, 'matrix-bot/Dockerfile'), 'FROM node:20-slim\nCOPY . /app\nCMD ["node", "/app/bot.js"]\n');
  writeFileSync(join(h.root, 'matrix-bot/.simgit.json'), JSON.stringify({ head: '1111111aaaa', subject: 'initial', remote: { main: { sha: '2222222bbbb', subject: 'Answer in threads' } } }, null, 2));
  h.addContainer({
    name: 'matrix-bot', image: 'matrix-bot:latest', cmd: ['node', '/app/bot.js'], restartPolicy: 'unless-stopped',
    logLines: ['bot: logged in as @sparkbot:matrix.example', 'bot: synced 3 rooms'],
  });
}
