import type { Logger } from '../../api/types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Keys whose values are never written, whatever the caller passes. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|private|api[-_]?key/i;

export type LogSink = (line: string) => void;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

/** Structured JSON-lines logger. Small on purpose: one line per record, secrets redacted by key name. */
export class JsonLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly bindings: Record<string, unknown> = {},
    private readonly sink: LogSink = (l) => process.stdout.write(l + '\n'),
  ) {}

  private write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const rec = { t: new Date().toISOString(), level, msg, ...this.bindings, ...(fields ? (scrub(fields) as object) : {}) };
    this.sink(JSON.stringify(rec));
  }
  debug(msg: string, f?: Record<string, unknown>) { this.write('debug', msg, f); }
  info(msg: string, f?: Record<string, unknown>) { this.write('info', msg, f); }
  warn(msg: string, f?: Record<string, unknown>) { this.write('warn', msg, f); }
  error(msg: string, f?: Record<string, unknown>) { this.write('error', msg, f); }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.level, { ...this.bindings, ...fields }, this.sink);
  }
}

export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const l = (env.SPARK_LOG_LEVEL ?? (env.VITEST ? 'warn' : 'info')) as LogLevel;
  return l in ORDER ? l : 'info';
}
