import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';
import { compressedFormat, decodeCompressed, toPcm16Wav } from './src/decodeCompressed.js';
import { readWavInfo } from './src/wavFile.js';

// MP3, FLAC and Ogg Opus recordings made by the real encoders (lame, flac, opusenc), decoded by Spark Control so long
// ones are cut into chunks like a long WAV (parakeet's single pass and the diarizer's memory both have a ceiling).
const reason = ensureSystemPackage('sox', '/usr/bin/sox') ?? ensureSystemPackage('lame', '/usr/bin/lame') ?? ensureSystemPackage('flac', '/usr/bin/flac') ?? ensureSystemPackage('opus-tools', '/usr/bin/opusenc');
if (reason) console.warn(`\n!!! SKIPPING compressed-audio tests: ${reason}\n`);

const dir = mkdtempSync(join(tmpdir(), 'compressed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sweep of `seconds` (mono or stereo with a different tone per channel), and its encodings. */
function recordings(name: string, seconds: number, channels: 1 | 2) {
  const wav = join(dir, `${name}.wav`);
  const synth = channels === 1 ? ['synth', String(seconds), 'sine', '300-3000'] : ['synth', String(seconds), 'sine', '440', 'sine', '880'];
  execFileSync('sox', ['-n', '-r', '16000', '-c', String(channels), '-b', '16', wav, ...synth, 'vol', '0.5']);
  execFileSync('lame', ['--quiet', '-b', '64', wav, join(dir, `${name}.mp3`)]);
  execFileSync('flac', ['--silent', '-f', wav, '-o', join(dir, `${name}.flac`)]);
  execFileSync('opusenc', ['--quiet', wav, join(dir, `${name}.opus`)]);
  execFileSync('sox', [wav, '-C', '8', join(dir, `${name}.ogg`)]); // Ogg Vorbis (a sweep compresses far below speech bitrates at the default quality)
  return { wav, mp3: join(dir, `${name}.mp3`), flac: join(dir, `${name}.flac`), opus: join(dir, `${name}.opus`), vorbis: join(dir, `${name}.ogg`) };
}

describe.skipIf(!!reason)('decoding compressed uploads', () => {
  let short: ReturnType<typeof recordings>;
  beforeAll(() => { short = recordings('short', 3, 2); });

  it('knows MP3, FLAC, Opus and Vorbis by their first bytes, and nothing else', () => {
    const head = (f: string) => readFileSync(f).subarray(0, 128);
    expect([compressedFormat(head(short.mp3)), compressedFormat(head(short.flac)), compressedFormat(head(short.opus)), compressedFormat(head(short.vorbis))]).toEqual(['mp3', 'flac', 'opus', 'vorbis']);
    expect(compressedFormat(head(short.wav))).toBeUndefined();
    expect(compressedFormat(Buffer.from('OggS\0\u0002 speex stream'))).toBeUndefined(); // Ogg, but neither Opus nor Vorbis
    expect(compressedFormat(Buffer.from('{"not":"audio"}'))).toBeUndefined();
  });

  it('rewrites each as 16-bit PCM WAV with its channels and duration; FLAC (lossless) sample for sample', async () => {
    for (const f of ['mp3', 'flac', 'opus', 'vorbis'] as const) {
      const copy = join(dir, `copy.${f}`);
      writeFileSync(copy, readFileSync(short[f]));
      expect(await toPcm16Wav(copy)).toMatchObject({ decodedFrom: f });
      const w = await readWavInfo(copy);
      expect(w.ok, f).toBe(true);
      if (!w.ok) continue;
      expect(w.info).toMatchObject({ channels: 2, bitsPerSample: 16, encoding: 'int', rate: f === 'opus' ? 48000 : 16000 });
      // MP3 frames pad the end (and the decoder keeps the encoder's delay): within a few frames of 3 s.
      expect(Math.abs(w.info.duration - 3), f).toBeLessThan(f === 'mp3' ? 0.12 : 0.01);
    }
    const original = await readWavInfo(short.wav);
    const flacCopy = join(dir, 'copy.flac');
    const a = readFileSync(short.wav), b = readFileSync(flacCopy);
    const wa = original.ok ? a.subarray(original.info.dataOffset) : a;
    const wb = b.subarray(44);
    expect(wb.equals(wa)).toBe(true);
  });

  it('refuses a file that only looks like MP3 with a 400 naming the file, and leaves no temp file behind', async () => {
    const bad = join(dir, 'bad.mp3');
    writeFileSync(bad, Buffer.concat([Buffer.from('ID3\u0004\0\0\0\0\0\0'), Buffer.alloc(4096, 0x55)]));
    await expect(decodeCompressed(bad, 'mp3')).rejects.toMatchObject({ code: 'SPEECH_UNDECODABLE', status: 400, details: { errors: [{ field: 'file' }] } });
    expect(readFileSync(bad).subarray(0, 3).toString()).toBe('ID3');
    expect(() => readFileSync(`${bad}.decoded`)).toThrow();
  });
});

describe.skipIf(!!reason)('long compressed recordings through the speech API', () => {
  let k: TestKernel;
  let long: ReturnType<typeof recordings>;
  const fake = async () => (await (await fetch(`http://127.0.0.1:${k.sim!.servicePorts.parakeet.port}/__sim/state`)).json()) as { asrChannels: number[]; diarized: Array<{ endpoint: string; duration: number }> };
  const post = (path: string, file: string, fields: Record<string, string>) => {
    const fd = new FormData();
    for (const [key, v] of Object.entries(fields)) fd.append(key, v);
    fd.append('file', new Blob([new Uint8Array(readFileSync(file))]), file.split('/').pop()!);
    return k.fetch(path, { method: 'POST', body: fd });
  };

  beforeAll(async () => {
    long = recordings('long', 30, 1);
    k = await createTestKernel({ plugins: ['speech'], config: { plugins: { speech: { longAudio: { chunkSec: 10, overlapSec: 2, asrChunkSec: 12 } } } } });
  });
  afterAll(async () => { await k?.stop(); });

  it.each(['mp3', 'flac', 'opus', 'vorbis'] as const)('transcribes a 30 s %s longer than one pass in chunks, each sent as WAV', async (f) => {
    const before = (await fake()).asrChannels.length;
    const r = await post('/v1/audio/transcriptions', long[f], { model: 'parakeet', response_format: 'verbose_json' });
    expect(r.status, await r.clone().text()).toBe(200);
    const v = await r.json();
    expect(Math.abs(v.duration - 30)).toBeLessThan(0.15);
    const sent = (await fake()).asrChannels.slice(before);
    // asrChunkSec is 12: at least three pieces, every one a mono WAV (0 would mean the compressed file went whole).
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.every((ch) => ch === 1)).toBe(true);
  });

  it('streams a short MP3 to the speech service as it came (no decode, no spool: under one pass even at 16 kbit/s)', async () => {
    const short = recordings('short-mono', 1, 1); // 8 KB at 64 kbit/s: under one 12 s pass even at 16 kbit/s
    const before = (await fake()).asrChannels.length;
    const r = await post('/v1/audio/transcriptions', short.mp3, { model: 'parakeet', response_format: 'verbose_json' });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(Math.abs((await r.json()).duration - 1)).toBeLessThan(0.15);
    expect((await fake()).asrChannels.slice(before)).toEqual([0]); // one request, and not a WAV
  });

  it('diarizes a long FLAC in chunks, and refuses a broken MP3 with a 400 naming the file', async () => {
    const r = await post('/v1/audio/diarize', long.flac, { response_format: 'json' });
    expect(r.status, await r.clone().text()).toBe(200);
    const chunks = (await fake()).diarized.filter((d) => d.endpoint === '/v1/audio/diarize-chunk');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const broken = join(dir, 'broken.mp3');
    writeFileSync(broken, Buffer.concat([Buffer.from('ID3\u0004\0\0\0\0\0\0'), Buffer.alloc(200_000, 0x55)]));
    const bad = await post('/v1/audio/transcriptions', broken, { model: 'parakeet' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/file/);
  });
});
