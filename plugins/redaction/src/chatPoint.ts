import { defineExtensionPoint, type ExtensionPoint, type UpstreamRef } from '@spark-control/plugin-api';

/**
 * The chat point the vLLM plugin provides (id `vllm.chat`), as this plugin uses it. Declared here rather than imported:
 * a plugin imports only the plugin API, never another plugin's folder. tests/kernel/extension-points.test.ts checks
 * that vLLM's provider still satisfies this shape.
 */
export interface ChatPoint {
  upstream(): UpstreamRef;
  swapping(): boolean;
  waitForSwap(opts: { timeoutMs: number; signal?: AbortSignal }): Promise<boolean>;
  begin(): () => void;
}

export const chatPoint: ExtensionPoint<ChatPoint> = defineExtensionPoint<ChatPoint>('vllm.chat');
