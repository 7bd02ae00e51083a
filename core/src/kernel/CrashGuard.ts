import { executionAsyncResource } from 'node:async_hooks';
import type { Logger } from '../api/types.js';
import { currentOwner, outsidePlugins, ownerOfError } from './pluginContext.js';

/** One running App listening for process-level errors. */
export interface CrashGuardClient {
  log: Logger;
  /** The kernel's own state is in doubt: say why in one line and end the process non-zero (StartOS restarts it). */
  fatal(line: string): void;
}

const clients = new Set<CrashGuardClient>();

/**
 * Process-level `uncaughtException` / `unhandledRejection`: an error that carries a plugin's context (the async
 * context it was thrown or rejected in, or the tag of the plugin callback it escaped from) is that plugin's crash and
 * goes to its kernel. One that carries none is logged with its stack; only when it was thrown by the kernel's own
 * code is the process ended. Installed once per process while any App runs (tests run many), removed with the last.
 */
export function installCrashGuard(client: CrashGuardClient): () => void {
  clients.add(client);
  if (clients.size === 1) {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
  }
  return () => {
    if (!clients.delete(client) || clients.size > 0) return;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  };
}

function onUncaught(err: unknown): void {
  handle(err, 'uncaught exception');
}

function onUnhandled(reason: unknown): void {
  handle(reason, 'unhandled rejection');
}

function handle(err: unknown, kind: 'uncaught exception' | 'unhandled rejection'): void {
  const tagged = ownerOfError(err);
  const owner = tagged?.owner ?? currentOwner();
  if (owner) {
    // A plain interval timer that threw would fire (and throw) again after the plugin is gone.
    const inTimer = kind === 'uncaught exception' && stopRunningTimer();
    const where = tagged ? `${kind} in ${tagged.where}` : inTimer ? `${kind} in a timer` : kind;
    outsidePlugins(() => owner.crashed(err, where));
    return;
  }
  const client = [...clients].pop();
  if (!client) return;
  const stack = safe(() => (err as Error).stack) ?? describe(err);
  const at = kernelFrame(stack);
  if (kind === 'uncaught exception' && at) {
    client.log.error('uncaught exception in the kernel', { error: describe(err), stack });
    client.fatal(`Spark Control stops: ${describe(err)} thrown by the kernel at ${at} leaves its state in doubt (exit 70; it is restarted).`);
    return;
  }
  client.log.error(`${kind} outside any plugin (logged; the kernel carries on)`, { error: describe(err), stack });
}

/** Clears the timer whose callback is running, if one is; true when there was one. */
function stopRunningTimer(): boolean {
  const res = executionAsyncResource() as { constructor?: { name?: string } } | undefined;
  if (res?.constructor?.name !== 'Timeout') return false;
  clearInterval(res as NodeJS.Timeout);
  return true;
}

/** The first frame of our own code, when it is the kernel's (core/src, outside the testing helpers). */
function kernelFrame(stack: string): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[1];
    if (file.startsWith('node:') || file.includes('/node_modules/')) continue;
    const k = /\/(core\/src\/.*)$/.exec(file);
    return k && !k[1].startsWith('core/src/testing/') ? `${k[1]}:${m[2]}` : undefined;
  }
  return undefined;
}

function describe(err: unknown): string {
  return safe(() => (err instanceof Error ? `${err.name}: ${err.message}` : `a thrown ${typeof err} (${String(err).slice(0, 200)})`)) ?? 'an error that cannot be printed';
}

function safe<T>(fn: () => T): T | undefined {
  try { return fn(); } catch { return undefined; }
}
