// What the real ssh checks before it runs a command on another Spark, for the fake `ssh` and `rsync` of the simulated
// Sparks: the peer's host key must be in the caller's ~/.ssh/known_hosts for that address (a mismatch is refused, an
// unknown key is refused under BatchMode unless StrictHostKeyChecking=accept-new/no), and one of the caller's default
// key pairs (~/.ssh/id_*) must be in the peer's ~/.ssh/authorized_keys. The simulated Spark's host key is the one its
// ssh2 server presents (<root>/.sim_host_key), so Spark Control's pinned key and the link's known_hosts line agree.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_KEYS = ['id_rsa', 'id_ecdsa', 'id_ed25519'];
/** `type base64` of an OpenSSH public key line (comment dropped), or undefined. */
const keyOf = (line) => {
  const m = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) ([A-Za-z0-9+/]+=*)/.exec(line.trim());
  return m ? `${m[1]} ${m[2]}` : undefined;
};
const lines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);

/**
 * Checks the caller ($HOME) against the peer at `host`. Returns { id, root } of the peer, or { error, code } with the
 * words and exit code the real ssh gives. `strict` is StrictHostKeyChecking (default 'ask': refused without a terminal).
 */
export function checkTrust(host, { strict = 'ask', home = process.env.HOME ?? '.', user = process.env.USER ?? 'spark' } = {}) {
  const peer = JSON.parse(process.env.SIM_PEERS || '{}')[host];
  if (!peer) return { error: `ssh: connect to host ${host} port 22: No route to host`, code: 255 };
  const hostKey = keyOf(JSON.parse(readFileSync(join(peer.root, '.sim_host_key'), 'utf8')).public);
  const knownFile = join(home, '.ssh', 'known_hosts');
  const known = lines(knownFile).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 3 && f[0].split(',').includes(host)).map((f) => `${f[1]} ${f[2]}`);
  if (!known.includes(hostKey)) {
    if (known.length && strict !== 'no') {
      return { error: `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nHost key for ${host} has changed and you have requested strict checking.\nHost key verification failed.`, code: 255 };
    }
    if (strict !== 'no' && strict !== 'accept-new') return { error: 'Host key verification failed.', code: 255 };
    mkdirSync(join(home, '.ssh'), { recursive: true });
    appendFileSync(knownFile, `${host} ${hostKey}\n`);
    process.stderr.write(`Warning: Permanently added '${host}' (${hostKey.split(' ')[0]}) to the list of known hosts.\n`);
  }
  const mine = DEFAULT_KEYS.map((k) => join(home, '.ssh', k)).filter((k) => existsSync(k) && existsSync(`${k}.pub`)).map((k) => keyOf(readFileSync(`${k}.pub`, 'utf8')));
  const authorized = new Set(lines(join(peer.root, '.ssh', 'authorized_keys')).map(keyOf).filter(Boolean));
  if (!mine.some((k) => authorized.has(k))) return { error: `${user}@${host}: Permission denied (publickey).`, code: 255 };
  return { id: peer.id, root: peer.root };
}
