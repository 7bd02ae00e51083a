/**
 * One simulated Spark as its own process, e.g. inside a network namespace:
 *   ip netns exec <ns> node --import tsx sim/ssh/standalone.ts <hostId> <root> <bind> <port> <authorized_key_file>
 * Prints "listening <port>" when ready; stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SimSshServer } from './SimSshServer.js';

const [hostId, root, bind, port, keyFile] = process.argv.slice(2);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const srv = new SimSshServer({ hostId, root, bind, port: Number(port), binDir: `${repoRoot}sim/fakeroot/bin`, repoRoot, authorizedKeys: [readFileSync(keyFile, 'utf8').trim()] });
const listening = await srv.start();
process.stdout.write(`listening ${listening}\n`);
process.on('SIGTERM', () => { void srv.stop().then(() => process.exit(0)); });
