/** Per-channel loudness at 10 ms resolution, collected while the audio streams past once, so the loudness of any
 *  word's span can be asked later without reading the audio again (3 h of stereo ≈ 17 MB of envelope). */
export interface EnergyEnvelope {
  frameSec: number;
  samplesPerFrame: number;
  /** Sum of squared samples per frame, one array per channel. */
  sumsq: Float64Array[];
}

const FLOOR_DB = -120;

export function createEnvelope(rate: number, channels: number, totalFrames: number, frameSec = 0.01): EnergyEnvelope {
  const samplesPerFrame = Math.max(1, Math.round(rate * frameSec));
  const n = Math.max(1, Math.ceil(totalFrames / samplesPerFrame));
  return { frameSec: samplesPerFrame / rate, samplesPerFrame, sumsq: Array.from({ length: channels }, () => new Float64Array(n)) };
}

/** RMS level in dBFS of one channel over [start, end] seconds; a zero-length span (punctuation) is widened to ±20 ms. */
export function spanDb(env: EnergyEnvelope, channel: number, start: number, end: number): number {
  const s = env.sumsq[channel];
  if (!s) return FLOOR_DB;
  if (end - start < 0.02) { const mid = (start + end) / 2; start = mid - 0.02; end = mid + 0.02; }
  const a = Math.max(0, Math.floor(start / env.frameSec));
  const b = Math.min(s.length, Math.ceil(end / env.frameSec));
  if (b <= a) return FLOOR_DB;
  let sum = 0;
  for (let i = a; i < b; i++) sum += s[i];
  const rms = Math.sqrt(sum / ((b - a) * env.samplesPerFrame));
  return rms > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(rms / 32768)) : FLOOR_DB;
}
