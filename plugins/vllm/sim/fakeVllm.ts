import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fakeNerAnswer } from './fakeNer.js';
import { guardedVllmHandler, parseVllmRequest, type FakeVllmRequest } from './requestSchemas.js';
import { asleep, garbled, sleepEndpoint, sleepingShare, type SleepKnobs } from './sleepMode.js';
import { trackHeldMemory } from './heldMemory.js';
import { readServeCommand, serveKeyOf } from './serveCommand.js';

/** Behaviour knobs, read from `<spark-1 state>/vllm-sim.json` on every request so tests can change them live. */
export interface FakeVllmKnobs extends SleepKnobs {
  /** Time from `vllm serve` dispatch to "Application startup complete" (default 1500 ms). */
  loadMs?: number;
  /** Make the load fail with a classified signature. */
  fail?: 'oom' | 'free-memory' | 'path' | 'gated' | 'port' | 'crash';
  /** Only this served name fails (default: every load fails). */
  failModel?: string;
  /** Delay between streamed tokens (default 20 ms). */
  tokenDelayMs?: number;
  /** How long a served tensor-parallel model keeps answering after a worker rank went away, before NCCL's watchdog
   *  kills it (default 5000 ms). While loading, a missing rank fails the load at once. */
  ncclTimeoutMs?: number;
}

const FAILURE_LOGS: Record<NonNullable<FakeVllmKnobs['fail']>, string[]> = {
  oom: ['Traceback (most recent call last):', 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.', 'EngineCore failed to start.'],
  'free-memory': ['ValueError: Free memory on device (41.2/119.7 GiB) on startup is less than desired GPU memory utilization (0.85, 101.7 GiB).', 'Engine core initialization failed.'],
  path: ["huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name': '/models/missing'."],
  gated: ['OSError: You are trying to access a gated repo.', '401 Client Error. Access to model meta-llama/X is restricted.'],
  port: ['OSError: [Errno 98] Address already in use'],
  crash: ['Traceback (most recent call last):', 'RuntimeError: something went wrong'],
};

interface Served { model: string; servedName: string; readyAt: number; containerFile: string; logFile: string; key: string; devMode: boolean; sleepMode: boolean; maxModelLen: number }

/** A fake vLLM OpenAI server that serves only what the simulated `vllm_node` container is running, after its load
 *  time — refusing connections while "loading", like the real one. */
export function startFakeVllm(hostRoot: string, containerName = 'vllm_node', peerRoots: string[] = []): Promise<{ port: number; close(): Promise<void> }> {
  const state = join(hostRoot, 'state');
  /** Ranks of a tensor-parallel launch running on the other Sparks: their containers run the same model headless. */
  const workerRanks = (model: string): number => peerRoots.filter((root) => {
    try {
      const w = JSON.parse(readFileSync(join(root, 'state', 'containers', `${containerName}.json`), 'utf8')) as { State: { Running: boolean }; Exec?: { cmd: string[]; dead: boolean }; RemoveAt?: string };
      const cmd = w.Exec?.cmd.join(' ') ?? '';
      return w.State.Running && !w.RemoveAt && !!w.Exec && !w.Exec.dead && cmd.includes('--headless') && cmd.includes(model);
    } catch { return false; }
  }).length;
  const knobs = (): FakeVllmKnobs => { try { return JSON.parse(readFileSync(join(state, 'vllm-sim.json'), 'utf8')); } catch { return {}; } };
  let counters = { prompt: 0, generation: 0, running: 0 };
  const announced = new Set<string>();
  /** When a served tensor-parallel model's worker rank was first seen missing. */
  const rankLostAt = new Map<string, number>();

  const served = (): Served | 'loading' | undefined => {
    const containerFile = join(state, 'containers', `${containerName}.json`);
    const logFile = join(state, 'containers', `${containerName}.log`);
    const serve = readServeCommand(containerFile);
    if (!serve) return undefined;
    const { container: c, words } = serve;
    const model = words[words.indexOf('serve') + 1];
    const n = words.indexOf('--served-model-name');
    const servedName = n > 0 ? words[n + 1] : model;
    const k = knobs();
    const readyAt = Date.parse(c.Exec.at) + (k.loadMs ?? 1500);
    // Tensor parallel across Sparks: one GPU each, so N ranks need N-1 workers (each started with --headless); a
    // rank that is missing at load time, or goes away later, kills the serve process, as NCCL does.
    const tpAt = words.indexOf('--tensor-parallel-size');
    const tp = tpAt > 0 ? Number(words[tpAt + 1]) : 1;
    const die = (lines: string[]) => {
      appendFileSync(logFile, lines.join('\n') + '\n');
      writeFileSync(containerFile, JSON.stringify({ ...c, Exec: { ...c.Exec!, dead: true } }, null, 2));
      return undefined;
    };
    if (tp > 1 && !words.includes('--nnodes')) {
      if (Date.now() < readyAt) return 'loading';
      return die([`ValueError: World size (${tp}) is larger than the number of available GPUs (1) in this node.`]);
    }
    const key = `${c.Exec.at}:${servedName}`;
    if (Date.now() < readyAt) {
      if (!announced.has(`${key}:banner`)) {
        announced.add(`${key}:banner`);
        appendFileSync(logFile, `INFO vLLM API server version 0.12.0 (simulated)\nINFO non-default args: {'model': '${model}', 'served_model_name': ['${servedName}']}\nINFO Loading weights...\n`);
      }
      return 'loading';
    }
    if (tp > 1 && workerRanks(model) < tp - 1) {
      if (!announced.has(key)) return die([`RuntimeError: NCCL error: timed out waiting for ${tp - 1 - workerRanks(model)} of ${tp - 1} worker rank(s) to join (tensor parallel ${tp})`, 'EngineCore failed to start.']);
      // Serving already: the head goes on answering until the collective times out.
      const since = rankLostAt.get(key) ?? Date.now();
      rankLostAt.set(key, since);
      if (Date.now() - since > (k.ncclTimeoutMs ?? 5000)) return die(['[rank0]: Watchdog caught collective operation timeout: a worker rank stopped responding', 'EngineCore died unexpectedly.']);
    } else rankLostAt.delete(key);
    if (k.fail && (!k.failModel || k.failModel === servedName)) {
      // The serve process dies with the signature in the container log.
      appendFileSync(logFile, FAILURE_LOGS[k.fail].join('\n') + '\n');
      writeFileSync(containerFile, JSON.stringify({ ...c, Exec: { ...c.Exec, dead: true } }, null, 2));
      return undefined;
    }
    if (!announced.has(key)) {
      announced.add(key);
      counters = { prompt: 0, generation: 0, running: 0 };
      const p = words.indexOf('--port');
      appendFileSync(logFile, `INFO Starting vLLM API server on http://0.0.0.0:${p > 0 ? words[p + 1] : 8000}\nINFO Application startup complete.\n`);
    }
    // vLLM reports the context it was launched with (--max-model-len; its default here stands for the config's).
    const mml = words.indexOf('--max-model-len');
    const maxModelLen = mml > 0 && Number.isInteger(Number(words[mml + 1])) ? Number(words[mml + 1]) : 32768;
    return { model, servedName, readyAt, containerFile, logFile, key, devMode: (c.Env ?? []).includes('VLLM_SERVER_DEV_MODE=1'), sleepMode: words.includes('--enable-sleep-mode'), maxModelLen };
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => { let s = ''; req.on('data', (d) => (s += d)).on('end', () => resolve(s)); });

  const server = createServer(guardedVllmHandler(async (req, res) => {
    const s = served();
    if (s === undefined || s === 'loading') { req.socket.destroy(); return; } // nothing listening yet
    const url = req.url ?? '/';
    if (url === '/health') { res.writeHead(200); res.end(); return; }
    if (url === '/version') return json(res, 200, { version: '0.12.0' });
    if (await sleepEndpoint(req, res, s.key, { devMode: s.devMode, sleepMode: s.sleepMode, knobs: knobs() })) return;
    if (url === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: s.servedName, object: 'model', created: Math.floor(s.readyAt / 1000), owned_by: 'vllm', root: s.model, parent: null, max_model_len: s.maxModelLen }] });
    if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const l = `{engine="0",model_name="${s.servedName}"}`;
      res.end(`# HELP vllm:num_requests_running Number of requests in model execution batches.\n# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running${l} ${counters.running}\nvllm:num_requests_waiting${l} 0\nvllm:kv_cache_usage_perc${l} ${Math.min(0.9, counters.running * 0.07 + 0.01)}\nvllm:prompt_tokens_total${l} ${counters.prompt}\nvllm:generation_tokens_total${l} ${counters.generation}\n`);
      return;
    }
    if (req.method === 'POST' && (url === '/v1/chat/completions' || url === '/v1/completions')) {
      const parsed = parseVllmRequest(await readBody(req), url.includes('chat'));
      if (!parsed.ok) return json(res, parsed.status, parsed.error);
      const body: FakeVllmRequest = parsed.body;
      // As vLLM: `model` is optional (the served one answers), another name is a 404.
      if (body.model !== undefined && body.model !== s.servedName) return json(res, 404, { error: { message: `The model \`${body.model}\` does not exist.`, type: 'NotFoundError', param: 'model', code: 404 } });
      if (asleep(s.key)) return json(res, 503, { error: { message: 'The engine is sleeping; call /wake_up first.', type: 'ServiceUnavailableError', code: 503 } });
      const chat = url.includes('chat');
      const prompt = chat ? (body.messages ?? []).map((m) => m.content).join(' ') : String(body.prompt ?? '');
      // Level-2 sleep discarded the weights: woken without reloading them, the model talks nonsense.
      // An NER prompt gets the entities the fake finds itself (fakeNer.ts), as one piece; any other chat, the echo.
      const ner = chat && !garbled(s.key) ? fakeNerAnswer(body.messages ?? [], body.max_tokens ?? 16) : undefined;
      const words = ner !== undefined ? [ner] : (garbled(s.key) ? `\u0000garbled weights ${prompt}` : `Hello from ${s.servedName}. You said: ${prompt}`).split(' ').slice(0, Math.max(1, body.max_tokens ?? 16));
      counters.prompt += prompt.split(' ').length;
      const id = `${chat ? 'chatcmpl' : 'cmpl'}-${Date.now().toString(36)}`;
      const created = Math.floor(Date.now() / 1000);
      if (!body.stream) {
        counters.generation += words.length;
        const text = words.join(' ');
        return json(res, 200, chat
          ? { id, object: 'chat.completion', created, model: s.servedName, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: prompt.split(' ').length, completion_tokens: words.length, total_tokens: prompt.split(' ').length + words.length } }
          : { id, object: 'text_completion', created, model: s.servedName, choices: [{ index: 0, text, finish_reason: 'stop' }], usage: { prompt_tokens: prompt.split(' ').length, completion_tokens: words.length, total_tokens: prompt.split(' ').length + words.length } });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      counters.running++;
      let aborted = false;
      res.on('close', () => { aborted = true; });
      const delay = knobs().tokenDelayMs ?? 20;
      if (chat) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: s.servedName, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`);
      for (let i = 0; i < words.length && !aborted; i++) {
        await new Promise((r) => setTimeout(r, delay));
        const piece = (i ? ' ' : '') + words[i];
        counters.generation++;
        res.write(`data: ${JSON.stringify(chat
          ? { id, object: 'chat.completion.chunk', created, model: s.servedName, choices: [{ index: 0, delta: { content: piece }, finish_reason: i === words.length - 1 ? 'stop' : null }] }
          : { id, object: 'text_completion', created, model: s.servedName, choices: [{ index: 0, text: piece, finish_reason: i === words.length - 1 ? 'stop' : null }] })}\n\n`);
      }
      counters.running--;
      if (aborted) { appendFileSync(s.logFile, `INFO request ${id} aborted by the client\n`); return; }
      // As vLLM: with stream_options.include_usage, one last chunk with no choices carries the usage.
      if (body.includeUsage) {
        res.write(`data: ${JSON.stringify({ id, object: chat ? 'chat.completion.chunk' : 'text_completion', created, model: s.servedName, choices: [], usage: { prompt_tokens: prompt.split(' ').length, total_tokens: prompt.split(' ').length + words.length, completion_tokens: words.length } })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    json(res, 404, { detail: 'Not Found' });
  }));
  const stopHolding = trackHeldMemory(state, containerName, () => knobs().loadMs ?? 1500, sleepingShare);
  // A worker rank of a launch across Sparks holds its share of its own Spark, and sleeps and wakes with the head (vLLM's
  // engine runs the sleep on every rank).
  const headContainer = join(state, 'containers', `${containerName}.json`);
  const stopWorkers = peerRoots.map((root) => trackHeldMemory(join(root, 'state'), containerName, () => knobs().loadMs ?? 1500, (_key, kib) => {
    const head = serveKeyOf(headContainer);
    return head ? sleepingShare(head, kib) : kib;
  }));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => { stopHolding(); for (const stop of stopWorkers) stop(); server.closeAllConnections(); server.close(() => r()); }),
  })));
}
