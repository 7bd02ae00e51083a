import type { z } from 'zod';
import { isSparkError, SparkError, type FieldError } from '../api/errors.js';
import { codes } from '../api/codes.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  plugin?: string;
  errors?: FieldError[];
  [k: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** zod issues → field errors. Never copies the received value (inputs may be private). */
export function zodFieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((i) => ({ field: [...prefix, ...i.path.map(String)].join('.'), message: i.message }));
}

/** Any thrown value → problem document. Unknown errors hide their message (500). */
export function toProblem(err: unknown, requestId?: string, plugin?: string): Problem {
  if (isSparkError(err)) {
    const e = err as SparkError;
    const status = e.status;
    const errors = (e.details?.errors as FieldError[] | undefined) ?? undefined;
    const rest = { ...(e.details ?? {}) };
    delete rest.errors;
    return {
      type: `https://spark-control.dev/problems/${e.code.toLowerCase().replace(/_/g, '-')}`,
      title: TITLES[status] ?? 'Error',
      status,
      code: e.code,
      detail: status < 500 || e.expose ? e.message : 'internal error',
      requestId,
      ...(plugin ? { plugin } : {}),
      ...(errors ? { errors } : {}),
      ...rest,
    };
  }
  const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
  if (status >= 400 && status < 500) {
    return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, code: 'SPK_HTTP_' + status, detail: String((err as Error).message ?? ''), requestId };
  }
  return { type: 'about:blank', title: 'Internal Server Error', status: 500, code: codes.INTERNAL, detail: 'internal error', requestId, ...(plugin ? { plugin } : {}) };
}

/** OpenAI's error envelope, for OpenAI-compatible routes. */
export function toOpenAiError(p: Problem): { error: { message: string; type: string; code: string; param: string | null } } {
  const type = p.status === 400 || p.status === 413 || p.status === 415 || p.status === 422 ? 'invalid_request_error'
    : p.status === 401 ? 'authentication_error' : p.status === 404 ? 'not_found_error' : p.status === 429 ? 'rate_limit_error'
    : p.status === 503 ? 'service_unavailable' : 'api_error';
  const param = p.errors?.[0]?.field ?? null;
  return { error: { message: p.detail ?? p.title, type, code: p.code, param } };
}

export function notFound(what: string): SparkError {
  return new SparkError(codes.NOT_FOUND, `${what} not found`, { status: 404 });
}
