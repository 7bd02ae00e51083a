import Database from 'better-sqlite3';
import { join } from 'node:path';

/** Schema steps of clients.sqlite, applied in order once each (PRAGMA user_version counts those applied). Append
 *  only: a step that shipped is never edited. */
const STEPS: string[] = [
  `CREATE TABLE clients (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT UNIQUE, key_prefix TEXT NOT NULL, scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used_at INTEGER,
     priority INTEGER NOT NULL DEFAULT 0, limits TEXT NOT NULL DEFAULT '{}', allow TEXT NOT NULL DEFAULT '{}');
   CREATE TABLE usage (
     day TEXT NOT NULL, client TEXT NOT NULL, plugin TEXT NOT NULL, subject TEXT NOT NULL, counter TEXT NOT NULL,
     value REAL NOT NULL, PRIMARY KEY (day, client, plugin, subject, counter)) WITHOUT ROWID;
   CREATE INDEX usage_client ON usage (client, day);`,
];

/** Opens (creating and migrating) the clients database in the data dir: WAL with synchronous=NORMAL, so a killed
 *  process loses nothing committed and never leaves a torn file. */
export function openClientsDb(dataDir: string, file = 'clients.sqlite'): Database.Database {
  const db = new Database(join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  const at = db.pragma('user_version', { simple: true }) as number;
  if (at > STEPS.length) throw new Error(`${file} is at schema ${at}, newer than this version knows (${STEPS.length}); refusing to touch it`);
  for (let i = at; i < STEPS.length; i++) {
    db.transaction(() => {
      db.exec(STEPS[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}
