import { SparkError } from '../../api/errors.js';
import { codes } from '../../api/codes.js';

/**
 * A request path that would leave the route it matched once an upstream (or the URL parser, which treats `%2e` as
 * `.` and `\` as `/`) decodes it: a `.` or `..` segment, written plainly, percent-encoded, or split by an encoded
 * slash or a backslash. `/v1/%2e%2e/metrics` matched `/v1/*rest` but `new URL()` resolved it to `/metrics`.
 */
export function hasDotSegment(path: string): boolean {
  const q = path.indexOf('?');
  const p = (q === -1 ? path : path.slice(0, q)).replace(/%2e/gi, '.').replace(/%2f|%5c|\\/gi, '/');
  for (const seg of p.split('/')) if (seg === '.' || seg === '..') return true;
  return false;
}

/** 400 naming the path, for a proxied path with a dot segment (never forwarded). */
export function refuseDotSegments(path: string): void {
  if (!hasDotSegment(path)) return;
  throw new SparkError(codes.BAD_PATH, 'the path contains a "." or ".." segment (plain or encoded); it is not forwarded', {
    status: 400, details: { errors: [{ field: 'path', message: 'dot segments are not allowed' }] },
  });
}
