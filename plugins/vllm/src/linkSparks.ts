import { SparkError, authorizeKeyCommand, openSshPublicKey, sh, type PluginContext, type ShellCommand } from '@spark-control/plugin-api';
import type { VllmConfig } from './config.js';
import { linkSshCheckCommand, linkSshRefusal, type LaunchNodes } from './launch.js';

/**
 * Link Sparks: the one-time setup eugr's launcher needs across Sparks, done from here instead of by hand on each.
 * The head ssh-es to every worker over the link (to start its container, and to copy models there), so
 * 1. the head needs a key pair without a passphrase (made if it has none),
 * 2. that key goes into each worker's authorized_keys (over Spark Control's own connection to the worker),
 * 3. the head's known_hosts gets each worker's host key for its link address — the key Spark Control pinned for that
 *    worker, so no key is ever accepted on trust over the cable, and
 * 4. the head's own ssh to each worker is then tried exactly as the swap's preflight tries it; still refused = 502
 *    with ssh's words (what was put in place stays: it is what any fix needs too).
 */

export interface LinkedSpark {
  hostId: string;
  address: string;
  /** The head's key on this worker: added now, or already there. */
  key: 'added' | 'present';
}

export interface LinkResult {
  head: { hostId: string; keyFile: string; keyCreated: boolean };
  sparks: LinkedSpark[];
}

/** On the head: the public half of its first default key pair that opens without a passphrase (the launcher's ssh has
 *  no terminal to ask for one); an ed25519 pair is made when it has none. Prints `existing|created <file>`, then the key. */
export function headKeyCommand(comment: string): ShellCommand {
  return sh`umask 077; mkdir -p ~/.ssh && chmod 700 ~/.ssh; for k in ~/.ssh/id_ed25519 ~/.ssh/id_ecdsa ~/.ssh/id_rsa; do if [ -f "$k" ] && [ -f "$k.pub" ] && ssh-keygen -y -P '' -f "$k" >/dev/null 2>&1; then echo "existing $k"; cat "$k.pub"; exit 0; fi; done; if [ -e ~/.ssh/id_ed25519 ]; then echo 'locked ~/.ssh/id_ed25519'; exit 3; fi; command -v ssh-keygen >/dev/null || { echo 'no ssh-keygen'; exit 4; }; ssh-keygen -q -t ed25519 -N '' -C ${comment} -f ~/.ssh/id_ed25519 </dev/null >/dev/null && echo "created $HOME/.ssh/id_ed25519" && cat ~/.ssh/id_ed25519.pub`;
}

/** On the head: `address`'s entries in ~/.ssh/known_hosts replaced by exactly `hostKey` (ssh-keygen -R also finds
 *  hashed entries, which Ubuntu writes by default). Prints `ok`. */
export function knownHostCommand(address: string, hostKey: string): ShellCommand {
  const [type, blob] = openSshPublicKey(hostKey).split(' ');
  return sh`umask 077; mkdir -p ~/.ssh && touch ~/.ssh/known_hosts && { ssh-keygen -R ${address} -f ~/.ssh/known_hosts >/dev/null 2>&1; printf '%s\n' ${`${address} ${type} ${blob}`} >> ~/.ssh/known_hosts; } && echo ok`;
}

const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).pop() ?? '';

export async function linkSparks(ctx: PluginContext<VllmConfig>, nodes: LaunchNodes, signal?: AbortSignal): Promise<LinkResult> {
  const head = nodes.head.hostId;
  if (!nodes.workers.length) {
    throw new SparkError('VLLM_LINK_NO_WORKER', `only ${head} is configured: linking needs a second Spark (add it under Configure Sparks, with its link address)`, { status: 409 });
  }
  const exec = (hostId: string, cmd: ShellCommand) => ctx.ssh.exec(hostId, cmd, { timeoutMs: 20_000, signal });

  const keyOut = await exec(head, headKeyCommand(`spark-control-link@${head}`));
  const [status = '', ...rest] = keyOut.stdout.trim().split('\n');
  const [how, keyFile = ''] = status.split(' ');
  if (keyOut.code !== 0 || (how !== 'existing' && how !== 'created')) {
    const why = how === 'locked' ? `its key ${keyFile} has a passphrase, which the launcher's ssh cannot type: give ${head} a key without one (ssh-keygen -t ecdsa -N '')`
      : status === 'no ssh-keygen' ? 'ssh-keygen is not installed there (package openssh-client)'
      : lastLine(keyOut.stderr + keyOut.stdout) || `exit ${keyOut.code}`;
    throw new SparkError('VLLM_LINK_KEY', `could not get an ssh key on ${head}: ${why}`, { status: 502, details: { host: head } });
  }
  let headKey: string;
  try {
    headKey = openSshPublicKey(rest.join('\n'));
  } catch {
    throw new SparkError('VLLM_LINK_KEY', `${head} printed something that is not an ssh public key for ${keyFile}`, { status: 502, details: { host: head } });
  }

  const sparks: LinkedSpark[] = [];
  for (const w of nodes.workers) {
    // Only through the pinned connection: a worker Spark Control has never reached has no key it can vouch for.
    const added = await exec(w.hostId, authorizeKeyCommand(headKey));
    const key = lastLine(added.stdout);
    if (added.code !== 0 || (key !== 'added' && key !== 'present')) {
      throw new SparkError('VLLM_LINK_AUTHORIZE', `could not add ${head}'s key to ${w.hostId}'s authorized_keys: ${lastLine(added.stderr) || `exit ${added.code}`}`, { status: 502, details: { host: w.hostId } });
    }
    const hostKey = ctx.ssh.hostKeys.publicKey(w.hostId);
    const mismatch = ctx.ssh.hostKeys.list().find((k) => k.hostId === w.hostId)?.mismatch;
    if (!hostKey || mismatch) {
      throw new SparkError('VLLM_LINK_HOST_KEY', `${w.hostId}'s host key is ${mismatch ? 'in question (it changed; trust or refuse it on the Cluster tile first)' : 'not known yet'}, so it cannot be vouched for to ${head}`, { status: 409, details: { host: w.hostId } });
    }
    const known = await exec(head, knownHostCommand(w.address, hostKey));
    if (lastLine(known.stdout) !== 'ok') {
      throw new SparkError('VLLM_LINK_KNOWN_HOSTS', `could not record ${w.hostId}'s host key in ${head}'s known_hosts: ${lastLine(known.stderr) || `exit ${known.code}`}`, { status: 502, details: { host: head } });
    }
    const refused = linkSshRefusal(await exec(head, linkSshCheckCommand(w.address)));
    if (refused !== undefined) {
      const said = refused.slice(0, 300);
      throw new SparkError('VLLM_LINK_SSH', `${head}'s key is on ${w.hostId} and its host key is known, but ${head} still cannot ssh to ${w.address} (${said}): is ${w.address} ${w.hostId}'s address on the link, and does its sshd listen there?`, { status: 502, details: { host: w.hostId, field: 'linkAddress' } });
    }
    sparks.push({ hostId: w.hostId, address: w.address, key: key as LinkedSpark['key'] });
    ctx.log.info('linked Sparks for launches across them', { head, worker: w.hostId, address: w.address, key });
  }
  return { head: { hostId: head, keyFile, keyCreated: how === 'created' }, sparks };
}
