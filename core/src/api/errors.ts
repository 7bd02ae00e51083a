import { codes } from './codes.js';
/** One error type for the whole product. `code` is stable (kernel: `SPK_<AREA>_<WHAT>`, plugins: `<ID>_<WHAT>`). */
export interface SparkErrorOptions {
  status?: number;
  /** Safe, structured details for the client (never raw private input). */
  details?: Record<string, unknown>;
  /** Show `message` to clients even on 5xx (default: 4xx exposed, 5xx exposed when it names host/service). */
  expose?: boolean;
  cause?: unknown;
  /** Seconds for a Retry-After header (503/429). */
  retryAfter?: number;
}

/**
 * Throw it from a route, `onStart` or a job: the kernel turns it into `application/problem+json`
 * `{ type, title, status, code, detail, requestId }` (or OpenAI's envelope on `errorStyle: 'openai'` routes).
 * @example throw new SparkError('COMFYUI_QUEUE_FULL', 'the ComfyUI queue is full', { status: 429, retryAfter: 10 })
 */
export class SparkError extends Error {
  /** Stable, machine-readable; changing one that clients see is a breaking change of your plugin. */
  readonly code: string;
  /** HTTP status (default 500). */
  readonly status: number;
  readonly details?: Record<string, unknown>;
  /** Whether `message` reaches the client as `detail`. */
  readonly expose: boolean;
  readonly retryAfter?: number;
  /** Brand checked by {@link isSparkError} (instanceof fails across bundled copies of this package). */
  readonly isSparkError = true;

  constructor(code: string, message: string, opts: SparkErrorOptions = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'SparkError';
    this.code = code;
    this.status = opts.status ?? 500;
    this.details = opts.details;
    this.expose = opts.expose ?? true;
    this.retryAfter = opts.retryAfter;
  }
}

/** Thrown from `onStart` when a dependency is not there yet: the kernel retries with backoff (5 s → 5 min). */
export class NotReadyError extends Error {
  readonly isNotReadyError = true;
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyError';
  }
}

/** True for a SparkError from any copy of this package (a plugin bundles its own; no instanceof). */
export function isSparkError(e: unknown): e is SparkError {
  return typeof e === 'object' && e !== null && (e as { isSparkError?: unknown }).isSparkError === true;
}
/** True for a NotReadyError from any copy of this package. */
export function isNotReadyError(e: unknown): e is NotReadyError {
  return typeof e === 'object' && e !== null && (e as { isNotReadyError?: unknown }).isNotReadyError === true;
}

export interface FieldError {
  /** Dotted path of the offending field, e.g. `hosts.0.sshPort` (`''` = the whole body). */
  field: string;
  message: string;
}

/** 400 naming the fields; never includes the received values. */
export function validationError(errors: FieldError[], where = 'body', code: string = codes.VALIDATION): SparkError {
  const names = errors.map((e) => e.field || where).join(', ');
  return new SparkError(code, `invalid ${where}: ${names}`, { status: 400, details: { errors } });
}
