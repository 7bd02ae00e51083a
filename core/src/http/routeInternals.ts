import type { Context } from 'koa';
import type { RouteContext } from '../api/types.js';

/** Kernel-only data attached to a RouteContext (plugins never see it). */
export interface RouteInternals {
  koa: Context;
  plugin: string;
  sensitive: boolean;
}

const INTERNALS = Symbol('spark.routeInternals');

export function attachInternals(c: RouteContext, i: RouteInternals): void {
  Object.defineProperty(c, INTERNALS, { value: i, enumerable: false });
}

export function internalsOf(c: RouteContext): RouteInternals {
  const i = (c as unknown as Record<symbol, RouteInternals | undefined>)[INTERNALS];
  if (!i) throw new Error('not a kernel RouteContext');
  return i;
}
