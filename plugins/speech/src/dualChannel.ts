import { unlinkSync } from 'node:fs';
import { suppressBleed, type BleedThresholds } from './bleed.js';
import { splitStereo } from './channelSplit.js';
import { spanDb } from './energy.js';
import type { Diarization } from './longDiarize.js';
import { assignSpeakers, normaliseWords, type SpeakerWord, type Word } from './merge.js';
import { smoothOverlaps } from './smoothing.js';
import type { AsrAnswer } from './upstreamSchemas.js';
import type { WavInfo } from './wavFile.js';

export type ChannelWord = SpeakerWord & { channel: 'local' | 'remote' };

export interface DualOptions { localChannel: 0 | 1; localLabel: string; thresholds: BleedThresholds }

export interface DualDeps {
  transcribe(path: string, filename: string): Promise<AsrAnswer & { chunks?: number }>;
  diarize(path: string, filename: string): Promise<Diarization>;
  tmpPath(tag: string): string;
}

export interface DualResult {
  asr: { duration: number; language?: string; chunks: number };
  diarization: Diarization;
  words: ChannelWord[];
  unassigned: number;
  smoothed: number;
  counts: { local_words: number; remote_words: number; bleed_suppressed: number; bleed_suppressed_local: number; bleed_suppressed_remote: number };
}

/** Stereo call: channel ownership is the strongest speaker cue, so each channel is transcribed on its own (a quiet
 *  local word under loud remote speech survives), the local channel is one known speaker, only the remote channel is
 *  diarized, and words decoded on both channels because of bleed are kept once (bleed.ts). */
export async function transcribeDual(path: string, info: WavInfo, o: DualOptions, deps: DualDeps): Promise<DualResult> {
  const paths: [string, string] = [deps.tmpPath('ch0'), deps.tmpPath('ch1')];
  try {
    const env = await splitStereo(path, info, paths);
    const lc = o.localChannel, rc = (1 - lc) as 0 | 1;
    const localAsr = await deps.transcribe(paths[lc], 'local.wav');
    const remoteAsr = await deps.transcribe(paths[rc], 'remote.wav');
    const diarization = await deps.diarize(paths[rc], 'remote.wav');
    const local: ChannelWord[] = normaliseWords(localAsr.words).map((w: Word) => ({ ...w, speaker: o.localLabel, channel: 'local' }));
    const assigned = assignSpeakers(normaliseWords(remoteAsr.words), diarization.turns);
    const smooth = smoothOverlaps(assigned.words, diarization.turns);
    const remote: ChannelWord[] = smooth.words.map((w) => ({ ...w, channel: 'remote' }));
    const b = suppressBleed(local, remote, (s, e) => ({ local: spanDb(env, lc, s, e), remote: spanDb(env, rc, s, e) }), o.thresholds);
    const words = [...b.local, ...b.remote].sort((x, y) => x.start - y.start || x.end - y.end);
    const unassigned = b.remote.filter((w) => w.speaker === null).length;
    return {
      asr: { duration: Math.max(localAsr.duration, remoteAsr.duration), language: localAsr.language ?? remoteAsr.language, chunks: Math.max(localAsr.chunks ?? 1, remoteAsr.chunks ?? 1) },
      diarization, words, unassigned, smoothed: smooth.smoothed,
      counts: { local_words: b.local.length, remote_words: b.remote.length, bleed_suppressed: b.suppressedLocal + b.suppressedRemote, bleed_suppressed_local: b.suppressedLocal, bleed_suppressed_remote: b.suppressedRemote },
    };
  } finally {
    for (const p of paths) { try { unlinkSync(p); } catch { /* never written */ } }
  }
}
