import type { Word } from './merge.js';

export interface Segment { id: number; start: number; end: number; text: string; speaker?: string }
export interface Transcript { text: string; language?: string; duration: number; words: Word[]; segments: Segment[] }

const ts = (s: number, sep: ',' | '.') => {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000), m = Math.floor((ms % 3_600_000) / 60_000), sec = Math.floor((ms % 60_000) / 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}${sep}${String(ms % 1000).padStart(3, '0')}`;
};

export function toSrt(t: Transcript): string {
  return t.segments.map((s, i) => `${i + 1}\n${ts(s.start, ',')} --> ${ts(s.end, ',')}\n${s.text}\n`).join('\n');
}

export function toVtt(t: Transcript): string {
  return 'WEBVTT\n\n' + t.segments.map((s) => `${ts(s.start, '.')} --> ${ts(s.end, '.')}\n${s.text}\n`).join('\n');
}

export function toVerbose(t: Transcript, granularities: string[]) {
  return {
    task: 'transcribe', language: t.language ?? 'en', duration: t.duration, text: t.text,
    ...(granularities.includes('word') ? { words: t.words } : {}),
    ...(granularities.includes('segment') || granularities.length === 0 ? { segments: t.segments.map((s) => ({ id: s.id, seek: 0, start: s.start, end: s.end, text: s.text, tokens: [], temperature: 0, avg_logprob: 0, compression_ratio: 1, no_speech_prob: 0, ...(s.speaker !== undefined ? { speaker: s.speaker } : {}) })) } : {}),
    usage: { type: 'duration', seconds: Math.ceil(t.duration) },
  };
}
