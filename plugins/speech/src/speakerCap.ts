import type { Turn } from './merge.js';
import { cosine } from './stitch.js';

export interface CapResult { turns: Turn[]; speakers: string[]; merged: Array<{ from: string; into: string; by: 'voice' | 'time' }> }

/** `max_speakers`: while the diarizer reports more speakers than the caller allows, the one who talked least is
 *  folded into the most similar voice (cosine of the fingerprints, when every candidate has one) or else into the
 *  speaker whose turns come nearest in time. Labels of the form `Speaker_N` are renumbered by first appearance. */
export function capSpeakers(turns: Turn[], max: number, fingerprints?: Record<string, number[]>): CapResult {
  let ts = turns.map((t) => ({ ...t }));
  const merged: CapResult['merged'] = [];
  for (;;) {
    const talk = new Map<string, number>();
    for (const t of ts) talk.set(t.speaker, (talk.get(t.speaker) ?? 0) + Math.max(0, t.end - t.start));
    if (talk.size <= max || talk.size < 2) break;
    const from = [...talk].sort((a, b) => a[1] - b[1] || b[0].localeCompare(a[0]))[0][0];
    const others = [...talk.keys()].filter((s) => s !== from);
    const fp = (s: string) => { const f = fingerprints?.[s]; return f && f.length && f.every(Number.isFinite) ? f : undefined; };
    const byVoice = !!fp(from) && others.every((o) => fp(o)?.length === fp(from)!.length);
    const gap = (a: string, b: string) => {
      let best = Infinity;
      for (const x of ts) if (x.speaker === a) for (const y of ts) if (y.speaker === b) best = Math.min(best, Math.max(0, x.start - y.end, y.start - x.end));
      return best;
    };
    let into = others[0], best = -Infinity;
    for (const o of others) {
      const score = byVoice ? cosine(fp(from)!, fp(o)!) : -gap(from, o);
      if (score > best) { best = score; into = o; }
    }
    merged.push({ from, into, by: byVoice ? 'voice' : 'time' });
    ts = ts.map((t) => (t.speaker === from ? { ...t, speaker: into } : t));
  }
  ts.sort((a, b) => a.start - b.start || a.end - b.end);
  const joined: Turn[] = [];
  for (const t of ts) {
    const last = [...joined].reverse().find((j) => j.speaker === t.speaker);
    if (last && t.start <= last.end + 1e-6) last.end = Math.max(last.end, t.end);
    else joined.push({ ...t });
  }
  const order = [...new Set(joined.map((t) => t.speaker))];
  const rename = merged.length && order.every((s) => /^speaker_\d+$/i.test(s)) ? new Map(order.map((s, i) => [s, `Speaker_${i}`])) : undefined;
  const out = rename ? joined.map((t) => ({ ...t, speaker: rename.get(t.speaker)! })) : joined;
  return { turns: out, speakers: [...new Set(out.map((t) => t.speaker))], merged };
}
