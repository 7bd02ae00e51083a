import { defineExtensionPoint, type ExtensionPoint, type UpstreamRef } from '@spark-control/plugin-api';

/**
 * What another plugin needs to send chat requests to the served model itself (not through the public `/v1` proxy):
 * redaction's LLM NER uses it. Tap it with `after: ['vllm']` (or `dependsOn`) and `ctx.use(vllmChatPoint)`.
 */
export interface VllmChat {
  /** vLLM's upstream now: the host from the service map, the port from vLLM's `port` setting. */
  upstream(): UpstreamRef;
  /** True while a swap runs: the served model is stopping or loading, chat requests would fail. */
  swapping(): boolean;
  /** Resolves true once no swap runs (at once when none does), false when `timeoutMs` passed or the signal fired first. */
  waitForSwap(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<boolean>;
  /** Counts one request as in flight until the returned release is called (idempotent): a swap waits for in-flight
   *  requests to finish (its drain) before it stops the model, as it does for proxied chats. */
  begin(): () => void;
}

export const vllmChatPoint: ExtensionPoint<VllmChat> = defineExtensionPoint<VllmChat>('vllm.chat');

/** The parts of the swap controller and the in-flight counter the point reads. */
export interface ChatPointDeps {
  swap: { readonly running: boolean; upstream(): UpstreamRef };
  inflight: { hold(): () => void };
  /** How often `waitForSwap` looks again (the swap has no "ended" event of its own). */
  pollMs?: number;
}

export function createChatPoint(d: ChatPointDeps): VllmChat {
  const pollMs = d.pollMs ?? 200;
  return Object.freeze({
    upstream: () => d.swap.upstream(),
    swapping: () => d.swap.running,
    begin: () => d.inflight.hold(),
    async waitForSwap({ timeoutMs, signal }: { timeoutMs: number; signal?: AbortSignal }): Promise<boolean> {
      const end = Date.now() + timeoutMs;
      while (d.swap.running) {
        const left = end - Date.now();
        if (left <= 0 || signal?.aborted) return false;
        await new Promise<void>((resolve) => {
          const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
          const t = setTimeout(done, Math.min(pollMs, left));
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      return true;
    },
  });
}
