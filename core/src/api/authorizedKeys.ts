import { sh, type ShellCommand } from './shell.js';

/** One OpenSSH public key line: a key type, its base64 blob and an optional comment of printable ASCII. Nothing else
 *  may go into authorized_keys or known_hosts (no second line, no `command=`/`from=` options in front). */
export const OPENSSH_PUBLIC_KEY: RegExp = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,16384}={0,3}( [\x21-\x7e][\x20-\x7e]{0,200})?$/;

/** The key line, trimmed, or a TypeError naming the rule. */
export function openSshPublicKey(line: string): string {
  const s = line.trim();
  if (!OPENSSH_PUBLIC_KEY.test(s)) throw new TypeError('not an OpenSSH public key line (type, base64, optional printable comment)');
  return s;
}

/** Appends a public key to the login user's ~/.ssh/authorized_keys unless that exact line is already there (with the
 *  permissions sshd insists on); prints `present` or `added`. */
export function authorizeKeyCommand(publicKey: string): ShellCommand {
  const key = openSshPublicKey(publicKey);
  return sh`umask 077; mkdir -p ~/.ssh && chmod 700 ~/.ssh && touch ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys && if grep -qxF ${key} ~/.ssh/authorized_keys; then echo present; else printf '%s\n' ${key} >> ~/.ssh/authorized_keys && echo added; fi`;
}
