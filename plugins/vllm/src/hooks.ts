import { AsyncSeriesBailHook, AsyncSeriesHook, defineExtensionPoint } from '@spark-control/plugin-api';

export interface SwapPlan { modelId: string; servedName: string; from: string | null }
export interface SwapVeto { reason: string }
export interface SwapResult { modelId: string; servedName: string; ok: boolean }

/** Hooks other plugins can tap (declare `dependsOn: ['vllm']` or `after: ['vllm']`, then `ctx.use(vllmSwapPoint)`):
 *  `beforeSwap` may veto with a reason; `afterSwap` hears the outcome. */
export interface VllmSwapHooks {
  beforeSwap: AsyncSeriesBailHook<[SwapPlan], SwapVeto | undefined>;
  afterSwap: AsyncSeriesHook<[SwapResult]>;
}

export const vllmSwapPoint = defineExtensionPoint<VllmSwapHooks>('vllm.swap');

export function createSwapHooks(): VllmSwapHooks {
  return Object.freeze({ beforeSwap: new AsyncSeriesBailHook<[SwapPlan], SwapVeto | undefined>(['plan']), afterSwap: new AsyncSeriesHook<[SwapResult]>(['result']) });
}
