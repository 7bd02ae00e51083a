import { AsyncLocalStorage } from 'node:async_hooks';
import { Socket } from 'node:net';
import { codes } from '../api/codes.js';

/**
 * Catches network I/O a plugin starts during `register()` without going through `ctx.ssh`/`ctx.http` (which the
 * kernel already guards): global `fetch`, `node:http`, a client library of its own. Every one of those ends in
 * `net.Socket.prototype.connect`, so that is the one place patched.
 *
 * Attribution is by async context (AsyncLocalStorage), so a kernel health check running at the same moment is not
 * blamed on the plugin; and by time (the context is "armed" only until register settles plus a short grace), so a
 * timer the plugin scheduled during register and that fires later, legitimately, is not blamed either.
 */
interface Armed {
  plugin: string;
  armed: boolean;
  seen: string[];
}

const als = new AsyncLocalStorage<Armed>();
let installed = 0;
let original: typeof Socket.prototype.connect | undefined;

function describeTarget(args: unknown[]): string {
  const a = args[0];
  // Node's own callers pass one pre-normalised [options, callback] array.
  if (Array.isArray(a)) return describeTarget(a);
  if (typeof a === 'object' && a !== null) {
    const o = a as { host?: string; port?: number; path?: string };
    return o.path ? `unix:${o.path}` : `${o.host ?? 'localhost'}:${o.port ?? '?'}`;
  }
  if (typeof a === 'number') return `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${a}`;
  return String(a);
}

function install(): void {
  if (installed++ > 0) return;
  original = Socket.prototype.connect;
  const orig = original;
  Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]) {
    const ctx = als.getStore();
    if (ctx?.armed) {
      ctx.seen.push(`connect ${describeTarget(args)}`);
      // Refuse instead of connecting: a contract check must never reach a real host.
      const err = Object.assign(new Error(`${ctx.plugin}: network I/O during register() (blocked by the contract checker)`), { code: codes.IO_DURING_REGISTER });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return (orig as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
}

function uninstall(): void {
  if (--installed > 0 || !original) return;
  Socket.prototype.connect = original;
  original = undefined;
}

export interface NetworkGuard {
  /** Run `fn` (the plugin's register) inside the guarded context; connects it starts are recorded and refused. */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  /** What was attempted, e.g. `connect example.invalid:443`. */
  readonly seen: readonly string[];
  release(): void;
}

export function createNetworkGuard(plugin: string, graceMs = 50): NetworkGuard {
  install();
  const state: Armed = { plugin, armed: false, seen: [] };
  let released = false;
  return {
    seen: state.seen,
    async run(fn) {
      state.armed = true;
      try {
        return await als.run(state, async () => fn());
      } finally {
        // A fetch started but not awaited inside register reaches connect a few ticks later.
        await new Promise((r) => setTimeout(r, graceMs));
        state.armed = false;
      }
    },
    release() {
      if (released) return;
      released = true;
      state.armed = false;
      uninstall();
    },
  };
}
