/** Polls `cond` every 50 ms until it holds or `ms` have passed (the caller asserts afterwards). */
export async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

/** Reads SSE text until `until` matches or the time is up; `seen` is what was read before. */
export async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, until: RegExp, ms: number, seen = ''): Promise<string> {
  const end = Date.now() + ms;
  let text = seen;
  while (!until.test(text) && Date.now() < end) {
    const r = await Promise.race([reader.read(), new Promise<undefined>((res) => setTimeout(res, 500))]);
    if (r?.done) break;
    if (r?.value) text += new TextDecoder().decode(r.value);
  }
  return text;
}
