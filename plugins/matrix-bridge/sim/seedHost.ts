import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimHostSeed } from '@spark-control/plugin-api';

/** Every simulated Spark gets the fake `git` that Update runs (a repo is a folder with .simgit.json, see git.mjs); the
 *  bot's Spark also gets the bot as on the owner's: its source repo (one commit behind its remote) and its container
 *  already running, planted once (a repo the dashboard updated since is left as it is). */
export function seedMatrixBotHost(h: SimHostSeed): void {
  h.installTool('git', fileURLToPath(new URL('./git.mjs', import.meta.url)));
  if (h.hostId !== 'spark-2' || existsSync(join(h.root, 'matrix-bot'))) return;
  mkdirSync(join(h.root, 'matrix-bot'), { recursive: true });
  writeFileSync(join(h.root, 'matrix-bot/Dockerfile'), 'FROM node:20-slim\nCOPY . /app\nCMD ["node", "/app/bot.js"]\n');
  writeFileSync(join(h.root, 'matrix-bot/.simgit.json'), JSON.stringify({ head: '1111111aaaa', subject: 'initial', remote: { main: { sha: '2222222bbbb', subject: 'Answer in threads' } } }, null, 2));
  h.addContainer({
    name: 'matrix-bot', image: 'matrix-bot:latest', cmd: ['node', '/app/bot.js'], restartPolicy: 'unless-stopped',
    logLines: ['bot: logged in as @sparkbot:matrix.example', 'bot: synced 3 rooms'],
  });
}
