/** Schema steps of history.sqlite, applied in order once each (PRAGMA user_version counts those applied). Append only:
 *  a step that shipped is never edited. */
export const HISTORY_STEPS: readonly string[] = [
  `CREATE TABLE series (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, plugin TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL, unit TEXT NOT NULL DEFAULT '', help TEXT NOT NULL DEFAULT '');
   CREATE TABLE points (series INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
   CREATE TABLE coarse (series INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, PRIMARY KEY (series, t)) WITHOUT ROWID;
   CREATE TABLE marks (t INTEGER NOT NULL, plugin TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
   CREATE INDEX marks_t ON marks (t);`,
];
