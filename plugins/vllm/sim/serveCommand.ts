import { readFileSync } from 'node:fs';

/** A simulated vLLM container as the fake docker records it. */
export interface ServeContainer { State: { Running: boolean }; Exec?: { cmd: string[]; at: string; dead: boolean }; RemoveAt?: string; Env?: string[] }

/** The running `vllm serve` of a simulated container, with its command line split into words; undefined when the
 *  container is gone, stopped, or its exec is dead or is not `vllm serve`. Only reads the container's file. */
export function readServeCommand(containerFile: string): { container: ServeContainer & { Exec: NonNullable<ServeContainer['Exec']> }; words: string[] } | undefined {
  let c: ServeContainer;
  try { c = JSON.parse(readFileSync(containerFile, 'utf8')) as ServeContainer; } catch { return undefined; }
  if (!c.State?.Running || c.RemoveAt || !c.Exec || c.Exec.dead) return undefined;
  const words = shellWords(c.Exec.cmd.join(' ').replace(/>>\s*\/proc\/1\/fd\/1\s*2>&1\s*$/, ''));
  const i = words.indexOf('serve');
  if (i < 1 || words[i - 1] !== 'vllm') return undefined;
  return { container: c as ServeContainer & { Exec: NonNullable<ServeContainer['Exec']> }, words };
}

/** The key the fake keeps a served model's state under (`<exec time>:<served name>`), or undefined when nothing serves. */
export function serveKeyOf(containerFile: string): string | undefined {
  const serve = readServeCommand(containerFile);
  if (!serve) return undefined;
  const n = serve.words.indexOf('--served-model-name');
  return `${serve.container.Exec.at}:${n > 0 ? serve.words[n + 1] : serve.words[serve.words.indexOf('serve') + 1]}`;
}

/** Splits a bash `%q`-quoted command line into words (enough for what the fake launcher records). */
function shellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) { cur += s[++i]; inWord = true; continue; }
    if (ch === "'") { const j = s.indexOf("'", i + 1); cur += s.slice(i + 1, j); i = j; inWord = true; continue; }
    if (ch === '$' && s[i + 1] === "'") { const j = s.indexOf("'", i + 2); cur += s.slice(i + 2, j).replace(/\\n/g, '\n'); i = j; inWord = true; continue; }
    if (/\s/.test(ch)) { if (inWord) out.push(cur); cur = ''; inWord = false; continue; }
    cur += ch;
    inWord = true;
  }
  if (inWord) out.push(cur);
  return out;
}
