import Database from 'better-sqlite3';
import { basename } from 'node:path';

/**
 * Opens (creating) one of the kernel's SQLite files in WAL mode with synchronous=NORMAL — a killed process loses
 * nothing committed and never leaves a torn file — and applies the schema steps it has not had yet, in order, each in
 * its own transaction (PRAGMA user_version counts those applied). Steps are append only: one that shipped is never
 * edited. A file newer than the steps this code knows is refused rather than touched.
 */
export function openSqlite(path: string, steps: readonly string[]): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const at = db.pragma('user_version', { simple: true }) as number;
  if (at > steps.length) {
    db.close();
    throw new Error(`${basename(path)} is at schema ${at}, newer than this version knows (${steps.length}); refusing to touch it`);
  }
  for (let i = at; i < steps.length; i++) {
    db.transaction(() => {
      db.exec(steps[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}

/** Statements by SQL text, compiled once each (preparing one can cost more than running it on a small table). */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = db.prepare(sql)));
    return st;
  };
}
