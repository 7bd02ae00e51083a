import type Database from 'better-sqlite3';

/** Schema steps of history.sqlite, applied in order once each (PRAGMA user_version counts those applied). Append only:
 *  a step that shipped is never edited. */
const STEPS: string[] = [
  `CREATE TABLE series (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, plugin TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '', help TEXT NOT NULL DEFAULT '');
   CREATE TABLE points (series INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
   CREATE TABLE coarse (series INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
   CREATE TABLE marks (t INTEGER NOT NULL, plugin TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
   CREATE INDEX marks_t ON marks (t);`,
];

export function migrate(db: Database.Database): void {
  const at = db.pragma('user_version', { simple: true }) as number;
  if (at > STEPS.length) throw new Error(`history.sqlite is at schema ${at}, newer than this version knows (${STEPS.length}); refusing to touch it`);
  for (let i = at; i < STEPS.length; i++) {
    db.transaction(() => {
      db.exec(STEPS[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
