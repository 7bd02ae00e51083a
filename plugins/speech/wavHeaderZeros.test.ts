import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKernel, type TestKernel } from '../../core/src/testing/createTestKernel.js';
import { wavHeader } from './src/wavFile.js';

let k: TestKernel;
beforeAll(async () => { k = await createTestKernel({ plugins: ['speech'] }); });
afterAll(async () => { await k?.stop(); });

/** A 16 kHz mono 16-bit WAV of 0.2 s with one header field overwritten. */
function wavWith(field: 'sampleRate' | 'blockAlign' | 'bitsPerSample' | 'channels'): Buffer {
  const data = Buffer.alloc(6400);
  const wav = Buffer.concat([wavHeader(16_000, 1, data.length), data]);
  expect(wav.toString('ascii', 12, 16)).toBe('fmt ');
  const at = { channels: 22, sampleRate: 24, blockAlign: 32, bitsPerSample: 34 }[field];
  if (field === 'sampleRate') wav.writeUInt32LE(0, at); else wav.writeUInt16LE(0, at);
  return wav;
}

describe('a WAV whose header has zeros', () => {
  for (const field of ['sampleRate', 'blockAlign', 'bitsPerSample', 'channels'] as const) {
    it(`${field} 0: 400 naming the header field (it was 502)`, async () => {
      const fd = new FormData();
      fd.append('model', 'whisper-1');
      fd.append('file', new Blob([new Uint8Array(wavWith(field))], { type: 'audio/wav' }), 'a.wav');
      const r = await k.fetch('/v1/audio/transcriptions', { method: 'POST', body: fd, signal: AbortSignal.timeout(10_000) });
      const text = await r.text();
      expect(r.status, text).toBe(400);
      expect(text).toContain(field);
      expect(text).toMatch(/header/i);
    });
  }
});
