import type { IncomingMessage, ServerResponse } from 'node:http';

/** Sleep-mode knobs of the fake vLLM (in vllm-sim.json with the others). */
export interface SleepKnobs {
  /** Time POST /sleep takes (default 150 ms). */
  sleepMs?: number;
  /** Time each wake step takes (default 120 ms; a level-2 wake is three steps plus the weights' reload). */
  wakeMs?: number;
  /** POST /wake_up fails with a 500, as a wake that runs out of memory does. */
  wakeFail?: boolean;
}

/** One served model's sleep state: level 2 discards the weights, so after waking them they must be reloaded
 *  (`collective_rpc reload_weights`) before the answers make sense, as in vLLM. */
interface SleepState { level: 0 | 1 | 2; weightsAwake: boolean; kvAwake: boolean; weightsValid: boolean }

const states = new Map<string, SleepState>();
const stateOf = (key: string): SleepState => {
  let s = states.get(key);
  if (!s) states.set(key, (s = { level: 0, weightsAwake: true, kvAwake: true, weightsValid: true }));
  return s;
};

/** Sleeping, or awake with weights that were discarded and not reloaded: the model cannot answer properly. */
export const asleep = (key: string): boolean => { const s = states.get(key); return !!s && (!s.weightsAwake || !s.kvAwake); };
/** What a sleeping model still holds of the memory it had awake: level 2 keeps its process, CUDA context and graphs
 *  (about 2.5 GiB of a GB10's unified memory), level 1 its weights too (offloaded to host memory, which is the same
 *  memory on unified memory). 1 when awake. */
export const sleepingShare = (key: string, awakeKiB: number): number => {
  const s = states.get(key);
  if (!s || (s.weightsAwake && s.kvAwake)) return awakeKiB;
  return s.level === 2 ? Math.min(awakeKiB, 2.5 * 1024 * 1024) : Math.round(awakeKiB * 0.6);
};
export const garbled = (key: string): boolean => { const s = states.get(key); return !!s && !s.weightsValid; };

const send = (res: ServerResponse, status: number, body?: unknown) => {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The dev-mode endpoints (`VLLM_SERVER_DEV_MODE=1`) of the served model `key`. Without dev mode they do not exist
 *  (404); without `--enable-sleep-mode` a sleep is refused. Returns false for any other path. */
export async function sleepEndpoint(req: IncomingMessage, res: ServerResponse, key: string, o: { devMode: boolean; sleepMode: boolean; knobs: SleepKnobs }): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://x');
  const paths = ['/sleep', '/wake_up', '/is_sleeping', '/collective_rpc', '/reset_prefix_cache'];
  if (!paths.includes(url.pathname)) return false;
  if (!o.devMode) { send(res, 404, { detail: 'Not Found' }); return true; }
  const s = stateOf(key);
  if (url.pathname === '/is_sleeping' && req.method === 'GET') { send(res, 200, { is_sleeping: !s.weightsAwake || !s.kvAwake }); return true; }
  if (req.method !== 'POST') { send(res, 405, { detail: 'Method Not Allowed' }); return true; }
  let body = '';
  for await (const c of req) body += c;
  if (url.pathname === '/sleep') {
    const level = Number(url.searchParams.get('level') ?? '1');
    if (level !== 1 && level !== 2) { send(res, 400, { error: { message: `invalid sleep level ${url.searchParams.get('level')}`, type: 'BadRequestError', code: 400 } }); return true; }
    if (!o.sleepMode) { send(res, 500, { error: { message: 'Sleep mode is not enabled. Start vLLM with --enable-sleep-mode.', type: 'InternalServerError', code: 500 } }); return true; }
    await wait(o.knobs.sleepMs ?? 150);
    Object.assign(s, { level, weightsAwake: false, kvAwake: false, weightsValid: level === 1 });
    send(res, 200);
    return true;
  }
  if (url.pathname === '/wake_up') {
    const tags = url.searchParams.getAll('tags');
    await wait(o.knobs.wakeMs ?? 120);
    if (o.knobs.wakeFail) { send(res, 500, { error: { message: 'CUDA out of memory while waking up (simulated)', type: 'InternalServerError', code: 500 } }); return true; }
    if (!tags.length || tags.includes('weights')) s.weightsAwake = true;
    if (!tags.length || tags.includes('kv_cache')) s.kvAwake = true;
    send(res, 200);
    return true;
  }
  if (url.pathname === '/collective_rpc') {
    let method: unknown;
    try { method = (JSON.parse(body) as { method?: unknown }).method; } catch { /* below */ }
    if (typeof method !== 'string') { send(res, 400, { error: { message: 'body must be JSON with a "method" string', type: 'BadRequestError', code: 400 } }); return true; }
    if (method !== 'reload_weights') { send(res, 500, { error: { message: `unknown method ${method.slice(0, 60)}`, type: 'InternalServerError', code: 500 } }); return true; }
    if (!s.weightsAwake) { send(res, 500, { error: { message: 'weights are asleep; wake them first', type: 'InternalServerError', code: 500 } }); return true; }
    await wait((o.knobs.wakeMs ?? 120) * 2);
    s.weightsValid = true;
    send(res, 200, { results: [null] });
    return true;
  }
  send(res, 200);
  return true;
}
