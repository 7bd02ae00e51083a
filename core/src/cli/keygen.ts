/**
 * `node dist/server/core/src/cli/keygen.js <data dir>`: creates the service's SSH key pair if it is missing
 * (private key mode 0600) and prints the public key. Used by the StartOS package at install; idempotent.
 */
import { ensureKeyPair } from '../services/ssh/keyPair.js';

const dir = process.argv[2] ?? process.env.SPARK_DATA_DIR;
if (!dir) {
  process.stderr.write('usage: keygen <data dir>\n');
  process.exit(2);
}
const kp = ensureKeyPair(dir);
process.stdout.write(`${kp.publicKey}\n`);
process.stderr.write(kp.created ? 'created a new key pair\n' : 'key pair already present\n');
