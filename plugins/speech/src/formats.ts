import { SparkError, type RouteContext } from '@spark-control/plugin-api';
import { joinWords, type Word } from './merge.js';

export interface Segment { id: number; start: number; end: number; text: string; speaker?: string }
export interface Transcript { text: string; language?: string; duration: number; words: Word[]; segments: Segment[] }
export type OutWord = Word & { speaker?: string | null; channel?: 'local' | 'remote' };

/** The response_format values of /v1/audio/transcriptions. */
const FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json', 'diarized_json'] as const;

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

/** Segments for text/srt/vtt/verbose_json: sentences, split on end punctuation or pauses over 1 s, and on a change
 *  of speaker or channel when words carry them (then each segment names its speaker). */
export function segmentsOf(words: OutWord[], bySpeaker = false): Segment[] {
  const segs: Segment[] = [];
  let cur: OutWord[] = [];
  const flush = () => { if (cur.length) segs.push({ id: segs.length, start: cur[0].start, end: cur[cur.length - 1].end, text: joinWords(cur), ...(bySpeaker ? { speaker: cur[0].speaker ?? 'unknown' } : {}) }); cur = []; };
  const key = (w: OutWord) => `${bySpeaker ? w.speaker ?? 'unknown' : ''}|${w.channel ?? ''}`;
  for (const w of words) {
    if (cur.length && (w.start - cur[cur.length - 1].end > 1 || key(w) !== key(cur[cur.length - 1]))) flush();
    cur.push(w);
    if (/[.!?]$/.test(w.word)) flush();
  }
  flush();
  return segs;
}

/** response_format and timestamp_granularities of a transcription, each 400 naming its field. */
export function checkFormat(fields: Record<string, string[]>) {
  const format = (fields.response_format?.[0] ?? 'json') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new SparkError('SPEECH_BAD_FORMAT', `response_format must be one of ${FORMATS.join(', ')}`, { status: 400, details: { errors: [{ field: 'response_format', message: 'unsupported' }] } });
  const gran = [...(fields['timestamp_granularities[]'] ?? []), ...(fields.timestamp_granularities ?? [])];
  if (gran.some((g) => g !== 'word' && g !== 'segment')) throw new SparkError('SPEECH_BAD_GRANULARITY', 'timestamp_granularities must be word and/or segment', { status: 400, details: { errors: [{ field: 'timestamp_granularities', message: 'unsupported' }] } });
  if (gran.includes('word') && format !== 'verbose_json') throw new SparkError('SPEECH_GRANULARITY_NEEDS_VERBOSE', 'word timestamps need response_format=verbose_json', { status: 400, details: { errors: [{ field: 'timestamp_granularities', message: 'word requires verbose_json' }] } });
  return { format, gran };
}

/** A transcript in the asked format (text, srt and vtt as text with their content type). */
export function render(c: RouteContext, t: Transcript, format: string, gran: string[]) {
  if (format === 'text') { c.setHeader('Content-Type', 'text/plain; charset=utf-8'); return t.text; }
  if (format === 'srt') { c.setHeader('Content-Type', 'application/x-subrip; charset=utf-8'); return toSrt(t); }
  if (format === 'vtt') { c.setHeader('Content-Type', 'text/vtt; charset=utf-8'); return toVtt(t); }
  if (format === 'verbose_json') return toVerbose(t, gran);
  return { text: t.text, usage: { type: 'duration', seconds: Math.ceil(t.duration) } };
}
