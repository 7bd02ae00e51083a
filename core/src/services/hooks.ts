import { AsyncParallelHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook } from 'tapable';
import type { KernelHooks, Logger } from '../api/types.js';

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
