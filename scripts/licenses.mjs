#!/usr/bin/env node
// Lists the licences of the runtime dependency tree (production deps only, from package-lock.json).
import { readFileSync } from 'node:fs';
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const rows = [];
for (const [path, meta] of Object.entries(lock.packages)) {
  if (!path || meta.dev || meta.devOptional) continue;
  const name = path.replace(/^.*node_modules\//, '');
  rows.push(`| ${name} | ${meta.version} | ${meta.license ?? '(see package)'} |`);
}
rows.sort();
console.log(`| package | version | licence |\n|---|---|---|\n${[...new Set(rows)].join('\n')}`);
