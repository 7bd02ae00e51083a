import { describe, expect, it } from 'vitest';
import { clientLabel, dailyByClient, daysBetween, formatValue, lastDays, usageTable, type UsageAnswer } from './usage-data.js';

const answer: UsageAnswer = {
  from: '2026-03-01', to: '2026-03-03',
  names: { c_1: 'crm', 'anon:cron': 'cron' },
  rows: [
    // The kernel counts each request once (no subject); vLLM also counts them per model: not added twice.
    { day: '2026-03-01', client: 'c_1', plugin: 'vllm', subject: '', counter: 'requests', value: 3 },
    { day: '2026-03-01', client: 'c_1', plugin: 'vllm', subject: 'qwen', counter: 'requests', value: 3 },
    { day: '2026-03-01', client: 'c_1', plugin: 'vllm', subject: 'qwen', counter: 'prompt_tokens', value: 100 },
    { day: '2026-03-03', client: 'c_1', plugin: 'vllm', subject: 'qwen', counter: 'completion_tokens', value: 40 },
    { day: '2026-03-02', client: 'anon:cron', plugin: 'speech', subject: '', counter: 'requests', value: 5 },
    { day: '2026-03-02', client: 'anon:cron', plugin: 'speech', subject: 'whisper', counter: 'audio_seconds', value: 90 },
    { day: '2026-02-01', client: 'anon:cron', plugin: 'speech', subject: '', counter: 'requests', value: 9 }, // outside the days
  ],
};

describe('usage data for the table and plots', () => {
  it('totals per client count each request once and break counters down by subject', () => {
    const t = usageTable(answer);
    expect(t.counters).toEqual(['requests', 'prompt_tokens', 'completion_tokens', 'audio_seconds']);
    expect(t.clients.map((c) => c.label)).toEqual(['cron (no key)', 'crm']);
    const crm = t.clients.find((c) => c.client === 'c_1')!;
    expect(crm.values).toEqual({ requests: 3, prompt_tokens: 100, completion_tokens: 40 });
    expect(crm.subjects).toEqual([{ plugin: 'vllm', subject: 'qwen', values: { requests: 3, prompt_tokens: 100, completion_tokens: 40 } }]);
    expect(t.totals.requests).toBe(3 + 5 + 9);
  });

  it('daily series are per client, zero-filled over every day of the range, busiest client first', () => {
    const r = dailyByClient(answer, ['requests']);
    expect(r.days).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(r.series).toEqual([{ label: 'cron (no key)', values: [0, 5, 0] }, { label: 'crm', values: [3, 0, 0] }]);
    const tokens = dailyByClient(answer, ['prompt_tokens', 'completion_tokens']);
    expect(tokens.series).toEqual([{ label: 'crm', values: [100, 0, 40] }]);
  });

  it('formats values and ranges as people read them', () => {
    expect(formatValue('audio_seconds', 42)).toBe('42 s');
    expect(formatValue('audio_seconds', 90)).toBe('1.5 min');
    expect(formatValue('audio_seconds', 5400)).toBe('1.5 h');
    expect(formatValue('prompt_tokens', 1234567)).toBe('1,234,567');
    expect(clientLabel('c_9', {})).toBe('c_9');
    expect(clientLabel('dashboard', { dashboard: 'dashboard' })).toBe('Dashboard (logged in)');
    expect(clientLabel('anon:10.0.0.5', {})).toBe('10.0.0.5 (no key)');
    expect(lastDays(7, Date.parse('2026-03-10T23:00:00Z'))).toEqual({ from: '2026-03-04', to: '2026-03-10' });
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});
