// Shared helpers for the fake tools: file-backed state under $SIM_STATE, written atomically.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const STATE = process.env.SIM_STATE ?? join(process.env.HOME ?? '/tmp', 'state');
export const CONTAINERS = join(STATE, 'containers');
mkdirSync(CONTAINERS, { recursive: true });

export function readJson(file, fallback) {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return fallback; }
}
export function writeJson(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, file);
}
export function listContainers() {
  return readdirSync(CONTAINERS).filter((f) => f.endsWith('.json')).map((f) => readJson(join(CONTAINERS, f), null)).filter(Boolean);
}
export function containerFile(name) { return join(CONTAINERS, `${name}.json`); }
export function logFile(name) { return join(CONTAINERS, `${name}.log`); }
export function exists(name) { return existsSync(containerFile(name)); }
