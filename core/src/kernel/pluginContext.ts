import { AsyncLocalStorage } from 'node:async_hooks';

/** The running instance of one plugin, as seen by code that calls into it (its PluginScope). */
export interface PluginOwner {
  readonly id: string;
  /** True once the instance was torn down: its late callbacks are not the new instance's fault. */
  readonly disposed: boolean;
  /** A callback of this instance threw (or blocked the loop): the kernel decides what follows. */
  crashed(err: unknown, where: string): void;
  /** Synchronous plugin code starts running (for naming the plugin behind a loop stall). */
  entered(where: string): void;
  /** It returned after `ms` of synchronous work. */
  exited(where: string, ms: number): void;
}

/** Every callback the kernel runs for a plugin, and everything that callback schedules (timers, promises, sockets),
 *  carries that plugin's instance here; an uncaught error thrown there is the plugin's. */
const als = new AsyncLocalStorage<PluginOwner>();

/** The plugin instance whose code is running (or scheduled the callback that is running), if any. */
export function currentOwner(): PluginOwner | undefined {
  return als.getStore();
}

/** Errors a plugin callback threw, with whose and where (for when they surface in another context). */
const thrownBy = new WeakMap<object, { owner: PluginOwner; where: string }>();

export function ownerOfError(err: unknown): { owner: PluginOwner; where: string } | undefined {
  return typeof err === 'object' && err !== null ? thrownBy.get(err) : undefined;
}

/** Runs kernel code outside any plugin's context (so what it schedules is nobody's fault but the kernel's). */
export function outsidePlugins<R>(fn: () => R): R {
  return als.exit(fn);
}

/** Runs `fn` as plugin code: in the owner's context, timed, a synchronous throw tagged with the owner and re-thrown
 *  (the caller's error handling applies; if nobody handles it, the crash guard knows whose it is). */
export function runAsPlugin<R>(owner: PluginOwner, where: string, fn: () => R): R {
  return als.run(owner, enter, owner, where, fn);
}

function enter<R>(owner: PluginOwner, where: string, fn: () => R): R {
  owner.entered(where);
  const t0 = performance.now();
  try {
    return fn();
  } catch (e) {
    if (typeof e === 'object' && e !== null && !thrownBy.has(e)) thrownBy.set(e, { owner, where });
    throw e;
  } finally {
    owner.exited(where, performance.now() - t0);
  }
}

/** `fn` bound to the owner: each call runs as plugin code (see runAsPlugin). */
export function bindToPlugin<A extends unknown[], R>(owner: PluginOwner, where: string, fn: (...a: A) => R): (...a: A) => R {
  return function (this: unknown, ...args: A): R {
    return runAsPlugin(owner, where, () => fn.apply(this, args));
  };
}

/** `fn` bound to the owner for callers that have nobody to report a failure to (timers, event delivery): a throw or
 *  a rejected promise is reported as the owner's crash and goes no further. */
export function guardForPlugin<A extends unknown[]>(owner: PluginOwner, where: string, fn: (...a: A) => unknown): (...a: A) => void {
  return function (this: unknown, ...args: A): void {
    if (owner.disposed) return;
    try {
      const r = runAsPlugin(owner, where, () => fn.apply(this, args));
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e: unknown) => outsidePlugins(() => owner.crashed(e, where)));
      }
    } catch (e) {
      outsidePlugins(() => owner.crashed(e, where));
    }
  };
}
