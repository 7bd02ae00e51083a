/** Usage rows as GET /api/usage returns them, turned into what the usage table and plots show. No DOM here. */

import type { UsageRow } from '../../core/src/services/clients/UsageMeter.js';

export type { UsageRow };
export interface UsageAnswer { from: string; to: string; rows: UsageRow[]; names: Record<string, string> }

/** Counters in the order the table shows them, with words a person uses. Unknown counters follow, by name. */
export const COUNTER_LABELS: Record<string, string> = {
  requests: 'Requests',
  prompt_tokens: 'Prompt tokens',
  completion_tokens: 'Completion tokens',
  audio_seconds: 'Audio transcribed',
  characters: 'Characters spoken',
  embeddings: 'Embeddings',
  reranked: 'Documents reranked',
  searches: 'Searches',
  items_scrubbed: 'Items scrubbed',
};

export function counterLabel(counter: string): string {
  return COUNTER_LABELS[counter] ?? counter.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const int = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** A counter's value as text: audio in s/min/h, everything else a whole number with separators. */
export function formatValue(counter: string, v: number): string {
  if (counter === 'audio_seconds') {
    if (v < 60) return `${one.format(v)} s`;
    if (v < 3600) return `${one.format(v / 60)} min`;
    return `${one.format(v / 3600)} h`;
  }
  return int.format(v);
}

/** The kernel's fixed clients: the configured token, and a browser logged in with it. */
const FIXED: Record<string, string> = { admin: 'Admin token', dashboard: 'Dashboard (logged in)' };

/** How a client id reads: its name, or for an unkeyed client its label and "(no key)". */
export function clientLabel(id: string, names: Record<string, string>): string {
  if (FIXED[id]) return FIXED[id];
  if (id.startsWith('anon:')) return `${names[id] ?? id.slice(5)} (no key)`;
  return names[id] ?? id;
}

/**
 * A row's contribution to a client's total. The kernel counts every request once with no subject; a plugin may also
 * count `requests` per model (subject = model id): those break the total down and are not added to it again.
 */
function countsTowardTotal(r: UsageRow): boolean {
  return r.counter !== 'requests' || r.subject === '';
}

export interface SubjectLine { plugin: string; subject: string; values: Record<string, number> }
export interface ClientLine { client: string; label: string; values: Record<string, number>; subjects: SubjectLine[] }
export interface UsageTable { counters: string[]; clients: ClientLine[]; totals: Record<string, number> }

/** Per client (busiest first): totals per counter, and per model/subject the counters reported for it. */
export function usageTable(answer: UsageAnswer): UsageTable {
  const byClient = new Map<string, ClientLine>();
  const seen = new Set<string>();
  const totals: Record<string, number> = {};
  for (const r of answer.rows) {
    let line = byClient.get(r.client);
    if (!line) byClient.set(r.client, (line = { client: r.client, label: clientLabel(r.client, answer.names), values: {}, subjects: [] }));
    seen.add(r.counter);
    if (countsTowardTotal(r)) {
      line.values[r.counter] = (line.values[r.counter] ?? 0) + r.value;
      totals[r.counter] = (totals[r.counter] ?? 0) + r.value;
    }
    if (r.subject) {
      let sub = line.subjects.find((s) => s.plugin === r.plugin && s.subject === r.subject);
      if (!sub) line.subjects.push((sub = { plugin: r.plugin, subject: r.subject, values: {} }));
      sub.values[r.counter] = (sub.values[r.counter] ?? 0) + r.value;
    }
  }
  const known = Object.keys(COUNTER_LABELS);
  const counters = [...seen].sort((a, b) => (known.indexOf(a) + 1 || 999) - (known.indexOf(b) + 1 || 999) || a.localeCompare(b));
  const busy = (l: { values: Record<string, number> }) => (l.values.requests ?? 0);
  const clients = [...byClient.values()].sort((a, b) => busy(b) - busy(a) || a.label.localeCompare(b.label));
  for (const c of clients) c.subjects.sort((a, b) => a.subject.localeCompare(b.subject));
  return { counters, clients, totals };
}

/** Every UTC day from `from` to `to` (inclusive), `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The last `n` UTC days ending today: the `from`/`to` of a usage query. */
export function lastDays(n: number, now = Date.now()): { from: string; to: string } {
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return { from: day(now - (n - 1) * 86_400_000), to: day(now) };
}

export interface DailySeries { label: string; values: number[] }

/** One series per client (busiest first) of the given counters added up by day; clients with none are left out. */
export function dailyByClient(answer: UsageAnswer, counters: readonly string[]): { days: string[]; series: DailySeries[] } {
  const days = daysBetween(answer.from, answer.to);
  const index = new Map(days.map((d, i) => [d, i]));
  const per = new Map<string, number[]>();
  for (const r of answer.rows) {
    if (!counters.includes(r.counter) || !countsTowardTotal(r)) continue;
    const i = index.get(r.day);
    if (i === undefined) continue;
    let col = per.get(r.client);
    if (!col) per.set(r.client, (col = days.map(() => 0)));
    col[i] += r.value;
  }
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const series = [...per.entries()]
    .filter(([, v]) => sum(v) > 0)
    .sort((a, b) => sum(b[1]) - sum(a[1]))
    .map(([client, values]) => ({ label: clientLabel(client, answer.names), values }));
  return { days, series };
}
