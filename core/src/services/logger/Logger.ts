import pino from 'pino';
import type { Logger } from '../../api/types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Keys whose values are never written, whatever the caller passes. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|private|api[-_]?key/i;

export type LogSink = (line: string) => void;

/** Secrets by key name at any depth (pino's own `redact` takes fixed paths, and callers pass arbitrary fields), errors
 *  as name/message/code (never a stack with file paths), and bounded depth and length. */
function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

/** pino writing JSON lines `{"level":"info","t":"<ISO time>",…bindings,…fields,"msg":…}` to stdout or a sink. */
function rootLogger(level: LogLevel, sink?: LogSink): pino.Logger {
  const destination = sink ? { write: (line: string) => sink(line.endsWith('\n') ? line.slice(0, -1) : line) } : pino.destination({ fd: 1, sync: true });
  return pino({
    level,
    base: undefined,
    messageKey: 'msg',
    serializers: { err: (e: unknown) => e }, // scrub() already reduced errors to name/message/code
    timestamp: () => `,"t":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }), log: (fields) => scrub(fields) as Record<string, unknown> },
  }, destination);
}

/** The kernel's structured logger (the `Logger` of the plugin API) on pino; secrets redacted by key name. */
export class JsonLogger implements Logger {
  private readonly p: pino.Logger;

  constructor(level: LogLevel = 'info', bindings: Record<string, unknown> = {}, sink?: LogSink, parent?: pino.Logger) {
    const base = parent ?? rootLogger(level, sink);
    this.p = Object.keys(bindings).length ? base.child(bindings) : base;
  }

  debug(msg: string, f?: Record<string, unknown>) { if (f) this.p.debug(f, msg); else this.p.debug(msg); }
  info(msg: string, f?: Record<string, unknown>) { if (f) this.p.info(f, msg); else this.p.info(msg); }
  warn(msg: string, f?: Record<string, unknown>) { if (f) this.p.warn(f, msg); else this.p.warn(msg); }
  error(msg: string, f?: Record<string, unknown>) { if (f) this.p.error(f, msg); else this.p.error(msg); }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger('info', fields, undefined, this.p);
  }
}

export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const l = (env.SPARK_LOG_LEVEL ?? (env.VITEST ? 'warn' : 'info')) as LogLevel;
  return LEVELS.includes(l) ? l : 'info';
}
