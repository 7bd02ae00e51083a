/** Speech benchmark: RSS growth while a 500 MB upload streams through /v1/audio/transcriptions (target < 64 MB),
 *  latency added by the plugin vs the fake parakeet directly, and queue fairness under 8 concurrent clients. */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createTestKernel } from '../../core/src/testing/createTestKernel.js';
import { pcmWav } from '../../plugins/speech/sim/wav.js';
import { decodeCompressed } from '../../plugins/speech/src/decodeCompressed.js';

const k = await createTestKernel({ plugins: ['speech'], config: { plugins: { speech: { maxUploadMB: 600, maxQueue: 16 } } } });
const port = k.sim!.servicePorts.parakeet.port;

function upload(url: string, totalMB: number): Promise<{ status: number; ms: number }> {
  const boundary = 'benchboundary';
  const truth = Buffer.from(JSON.stringify([{ word: 'hello', start: 0.1, end: 0.4, speaker: 'A' }]));
  const head = pcmWav(new Int16Array(16000), 16000, 1, { id: 'sctx', data: truth });
  // A WAV header that declares `totalMB` of samples, followed by that many zero bytes.
  const dataBytes = totalMB * 1024 * 1024;
  const hdr = Buffer.from(head.subarray(0, head.length - 32000));
  hdr.writeUInt32LE(hdr.length - 8 + dataBytes, 4);
  hdr.writeUInt32LE(dataBytes, hdr.length - 4);
  const pre = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const post = Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nparakeet\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(1024 * 1024);
  let sent = 0;
  const body = new Readable({ read() { if (sent === 0) { this.push(pre); this.push(hdr); } if (sent >= totalMB) { this.push(post); this.push(null); } else { sent++; this.push(chunk); } } });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(pre.length + hdr.length + dataBytes + post.length) } }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - t0 })); });
    req.on('error', reject);
    body.pipe(req);
  });
}

global.gc?.();
const base = process.memoryUsage().rss;
let peak = base;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
const big = await upload(`${k.url}/v1/audio/transcriptions`, 500);
clearInterval(sampler);
console.log(`500 MB upload through the plugin: HTTP ${big.status} in ${(big.ms / 1000).toFixed(1)} s, RSS growth ${((peak - base) / 1048576).toFixed(1)} MB (process includes the in-process fake, which keeps 1 MiB)`);

const small = async (url: string) => (await upload(url, 1)).ms;
const lat = { direct: [] as number[], plugin: [] as number[] };
for (let i = 0; i < 20; i++) { lat.direct.push(await small(`http://127.0.0.1:${port}/v1/audio/transcriptions`)); lat.plugin.push(await small(`${k.url}/v1/audio/transcriptions`)); }
const med = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`1 MB transcription median: direct ${med(lat.direct).toFixed(1)} ms, plugin ${med(lat.plugin).toFixed(1)} ms, added ${(med(lat.plugin) - med(lat.direct)).toFixed(1)} ms`);

const order: number[] = [];
const starts: number[] = [];
await Promise.all(Array.from({ length: 8 }, async (_, i) => {
  await new Promise((r) => setTimeout(r, i * 15));
  starts.push(i);
  const r = await upload(`${k.url}/v1/audio/transcriptions`, 2);
  if (r.status === 200) order.push(i);
}));
const inversions = order.reduce((n, v, i) => n + order.slice(i + 1).filter((w) => w < v).length, 0);
console.log(`8 concurrent clients: all served ${order.length === 8}, completion order ${order.join(',')} (arrival ${starts.join(',')}), order inversions ${inversions}`);

// Decoding a compressed recording (what a long MP3/FLAC/Opus upload costs Spark Control before chunking): a 10-minute
// 44.1 kHz stereo MP3 made by lame, decoded to WAV on disk; time, × real time, and RSS growth meanwhile.
if (spawnSync('which', ['lame']).status === 0 && spawnSync('which', ['sox']).status === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-decode-'));
  const wav = join(dir, 'talk.wav'), mp3 = join(dir, 'talk.mp3');
  execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', wav, 'synth', '600', 'pinknoise', 'vol', '0.3']);
  execFileSync('lame', ['--quiet', '-b', '128', wav, mp3]);
  const mp3MB = statSync(mp3).size / 1048576;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let rssPeak = rss0;
  const s2 = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 20);
  const t0 = performance.now();
  const d = await decodeCompressed(mp3, 'mp3');
  const ms = performance.now() - t0;
  clearInterval(s2);
  console.log(`decode a 10 min 128 kbit/s stereo MP3 (${mp3MB.toFixed(1)} MB → ${(statSync(mp3).size / 1048576).toFixed(0)} MB WAV, decoded in place): ${(ms / 1000).toFixed(1)} s, ${(d.seconds / (ms / 1000)).toFixed(0)}× real time, RSS growth ${((rssPeak - rss0) / 1048576).toFixed(1)} MB`);
  rmSync(dir, { recursive: true, force: true });
} else console.log('decode benchmark skipped: lame or sox is not installed');
await k.stop();
