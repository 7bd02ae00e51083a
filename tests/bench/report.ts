/** Writes a benchmark's tables into docs/performance.md between its own markers, so the figures a user reads are the
 *  ones last measured (each bench owns one section; the rest of the page is left as it is). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';

const page = join(import.meta.dirname, '../../docs/performance.md');
const HEADER = '# Performance\n\nWritten by `npm run bench` (tests/bench): each section is replaced by the benchmark that owns it, on the\nmachine it last ran on. Every figure is a median of the rounds named, with the spread (min–max) beside it.\n';

export type Cell = string | number;

/** The machine's 1-minute load average, sampled every 5 s while the bench runs: on a shared machine it says how much
 *  the figures beside it can be trusted, so every section is stamped with its range. */
const loads = [loadavg()[0]];
setInterval(() => loads.push(loadavg()[0]), 5000).unref();

/** A Markdown table from rows of the same keys. */
export function markdownTable(rows: Array<Record<string, Cell>>): string {
  if (rows.length === 0) return '(no rows)\n';
  const keys = Object.keys(rows[0]);
  const line = (cells: Cell[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(keys), line(keys.map(() => '---')), ...rows.map((r) => line(keys.map((k) => r[k] ?? '')))].join('\n') + '\n';
}

/** Replaces (or appends) the section `name` of docs/performance.md with `markdown`, stamped with the date and machine. */
export function writeSection(name: string, title: string, markdown: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  loads.push(loadavg()[0]);
  const load = `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} while it ran`;
  const stamp = `_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${(process.env.BENCH_MACHINE ?? `${availableParallelism()} cores`)}, ${load}, Node ${process.version}._\n\n`;
  const section = `${start}\n## ${title}\n\n${stamp}${markdown.trim()}\n${end}`;
  let text = existsSync(page) ? readFileSync(page, 'utf8') : HEADER;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(page, text);
}
