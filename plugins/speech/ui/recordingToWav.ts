/** A microphone take as a 16 kHz mono 16-bit WAV. Chromium's MediaRecorder only writes WebM/Opus, which the speech
 *  services do not take; the browser decodes its own recording (decodeAudioData) and resamples it here, so what is
 *  sent is the format every part of the pipeline reads. undefined when the browser cannot decode it (then the
 *  original recording is sent as it is). */
const RATE = 16000;

export async function recordingToWav(blob: Blob): Promise<Blob | undefined> {
  let decoded: AudioBuffer;
  const ctx = new AudioContext();
  try {
    decoded = await ctx.decodeAudioData(await blob.arrayBuffer());
  } catch {
    return undefined;
  } finally {
    void ctx.close();
  }
  const length = Math.max(1, Math.ceil(decoded.duration * RATE));
  const offline = new OfflineAudioContext(1, length, RATE);
  const src = offline.createBufferSource();
  src.buffer = decoded; // mixed down to the one output channel by the graph
  src.connect(offline.destination);
  src.start();
  const mono = (await offline.startRendering()).getChannelData(0);
  const out = new DataView(new ArrayBuffer(44 + mono.length * 2));
  const ascii = (at: number, s: string) => { for (let i = 0; i < s.length; i++) out.setUint8(at + i, s.charCodeAt(i)); };
  ascii(0, 'RIFF'); out.setUint32(4, 36 + mono.length * 2, true); ascii(8, 'WAVE');
  ascii(12, 'fmt '); out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, 1, true);
  out.setUint32(24, RATE, true); out.setUint32(28, RATE * 2, true); out.setUint16(32, 2, true); out.setUint16(34, 16, true);
  ascii(36, 'data'); out.setUint32(40, mono.length * 2, true);
  for (let i = 0; i < mono.length; i++) out.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, Math.round(mono[i] * 32767))), true);
  return new Blob([out.buffer], { type: 'audio/wav' });
}
