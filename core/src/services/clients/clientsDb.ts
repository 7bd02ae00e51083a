import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { openSqlite } from '../sqlite.js';

/** Schema steps of clients.sqlite, applied in order once each (PRAGMA user_version counts those applied). Append
 *  only: a step that shipped is never edited. */
const STEPS: readonly string[] = [
  `CREATE TABLE clients (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT UNIQUE, key_prefix TEXT NOT NULL, scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used_at INTEGER,
     priority INTEGER NOT NULL DEFAULT 0, limits TEXT NOT NULL DEFAULT '{}', allow TEXT NOT NULL DEFAULT '{}');
   CREATE TABLE usage (
     day TEXT NOT NULL, client TEXT NOT NULL, plugin TEXT NOT NULL, subject TEXT NOT NULL, counter TEXT NOT NULL,
     value REAL NOT NULL, PRIMARY KEY (day, client, plugin, subject, counter)) WITHOUT ROWID;
   CREATE INDEX usage_client ON usage (client, day);`,
];

/** Opens (creating and migrating) the clients database in the data dir (see openSqlite); a second writer waits up
 *  to 2 s for the lock instead of failing at once. */
export function openClientsDb(dataDir: string, file = 'clients.sqlite'): Database.Database {
  const db = openSqlite(join(dataDir, file), STEPS);
  db.pragma('busy_timeout = 2000');
  return db;
}
