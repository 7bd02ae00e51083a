/** The wait between two polls of a swap: a job's cancel or timeout cuts it short (it rejects with the signal's reason),
 *  so no phase sleeps past its job. */
export const delay = (ms: number, signal: AbortSignal) => new Promise<void>((resolve, reject) => {
  if (signal.aborted) return reject(signal.reason);
  const onAbort = () => { clearTimeout(t); reject(signal.reason); };
  const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
  signal.addEventListener('abort', onAbort, { once: true });
});
