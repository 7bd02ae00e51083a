import { createServer } from 'node:http';

/** A fake ComfyUI (port 8188 API subset): /system_stats, /queue, /history, /prompt, /view. */
export function startFakeComfy(): Promise<{ port: number; close(): Promise<void> }> {
  const history: Record<string, unknown> = {
    'a1b2': { prompt: [1, 'a1b2', {}], outputs: { '9': { images: [{ filename: 'spark_00001_.png', subfolder: '', type: 'output' }] } }, status: { status_str: 'success', completed: true } },
  };
  let running: string[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (s: number, b: unknown) => { res.writeHead(s, { 'content-type': 'application/json' }); res.end(JSON.stringify(b)); };
    if (url.pathname === '/system_stats') return json(200, { system: { os: 'posix', python_version: '3.12.3', comfyui_version: '0.3.40', ram_total: 128e9, ram_free: 96e9 }, devices: [{ name: 'cuda:0 NVIDIA GB10', type: 'cuda', vram_total: 0, vram_free: 0 }] });
    if (url.pathname === '/queue') return json(200, { queue_running: running.map((id, i) => [i, id, {}]), queue_pending: [] });
    if (url.pathname === '/history') return json(200, history);
    if (url.pathname === '/prompt' && req.method === 'POST') {
      let s = ''; for await (const c of req) s += c;
      const id = Math.random().toString(36).slice(2, 10);
      running = [id];
      setTimeout(() => { running = []; history[id] = { prompt: [2, id, {}], outputs: { '9': { images: [{ filename: `spark_${id}.png`, subfolder: '', type: 'output' }] } }, status: { status_str: 'success', completed: true } }; }, 200);
      return json(200, { prompt_id: id, number: 2, node_errors: {} });
    }
    if (url.pathname === '/view') { res.writeHead(200, { 'content-type': 'image/png' }); res.end(Buffer.from('89504e470d0a1a0a', 'hex')); return; }
    json(404, { error: 'not found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) })));
}
