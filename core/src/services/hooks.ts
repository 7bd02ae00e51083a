import { AsyncParallelHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook } from 'tapable';
import type { KernelHooks, Logger } from '../api/types.js';
import { currentOwner, runAsPlugin, type PluginOwner } from '../kernel/pluginContext.js';

/** The kernel's hooks: one frozen object (webpack style). Plugins tap with their id as the tap name; an
 *  interceptor logs slow taps with that name so a misbehaving plugin is easy to find. */
export function createKernelHooks(log: Logger): KernelHooks {
  const hooks: KernelHooks = {
    beforeProxy: new AsyncSeriesWaterfallHook(['request']),
    afterProxy: new AsyncSeriesHook(['request', 'result']),
    configChanged: new AsyncSeriesHook(['section', 'value']),
    healthChanged: new SyncHook(['entry', 'previous']),
    beforeShutdown: new AsyncParallelHook([]),
  };
  for (const [name, hook] of Object.entries(hooks)) {
    (hook as { intercept(i: object): void }).intercept({
      register(tap: { name: string; type: string; fn: (...a: unknown[]) => unknown }) {
        // A plugin taps while its register() runs: the tap then runs as that plugin's code, and not at all once that
        // instance is gone (tapable cannot untap; a restarted plugin taps again).
        const owner = currentOwner();
        if (owner) tap = { ...tap, fn: ownTap(owner, `hook ${name}`, tap.type, tap.fn) };
        if (tap.type !== 'promise') return tap;
        const fn = tap.fn;
        return {
          ...tap,
          fn: async (...args: unknown[]) => {
            const t0 = performance.now();
            try {
              return await fn(...args);
            } finally {
              const ms = performance.now() - t0;
              if (ms > 250) log.warn('slow hook tap', { hook: name, tap: tap.name, ms: Math.round(ms) });
            }
          },
        };
      },
    });
  }
  return Object.freeze(hooks);
}

/** A tap run as its plugin's code; a tap of a torn-down instance passes the value through (waterfall) or does nothing. */
function ownTap(owner: PluginOwner, where: string, type: string, fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  return (...args: unknown[]) => {
    if (owner.disposed) {
      if (type === 'async') return (args[args.length - 1] as (e: null, v: unknown) => void)(null, args[0]);
      return type === 'promise' ? Promise.resolve(args[0]) : args[0];
    }
    return runAsPlugin(owner, where, () => fn(...args));
  };
}
