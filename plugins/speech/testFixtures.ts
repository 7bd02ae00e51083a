import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withChunk, type TruthWord } from './sim/wav.js';
import { ensureSystemPackage } from '../../tests/helpers/system.js';

/** Spoken fixtures: espeak-ng voices placed on a timeline with sox; word times estimated from the characters of each
 *  utterance (as in speech.test.ts) and carried in the `sctx` chunk the simulated recogniser reads. */
export interface Utterance { speaker: string; voice: string; text: string; at: number; gain?: number }
export interface HypWord { word: string; start: number; end: number; speaker: string | null; channel?: string }

/** Why the spoken fixtures cannot be made here (undefined: espeak-ng and sox are there). */
export const fixtureSkipReason = ensureSystemPackage('espeak-ng', '/usr/bin/espeak-ng') ?? ensureSystemPackage('sox', '/usr/bin/sox');

const dir = fixtureSkipReason ? tmpdir() : mkdtempSync(join(tmpdir(), 'speech-dual-'));
let n = 0;
const soxi = (f: string) => Number(execFileSync('soxi', ['-D', f]).toString().trim());

/** Renders utterances; returns each placed file and the truth words. `cursor` rules: `at` < 0 means "this many
 *  seconds before the previous utterance ended" (double talk), otherwise the pause after it. */
export function render(script: Utterance[]): { placed: Array<{ file: string; speaker: string; gain: number }>; truth: TruthWord[] } {
  const placed: Array<{ file: string; speaker: string; gain: number }> = [];
  const truth: TruthWord[] = [];
  let end = 0;
  for (const u of script) {
    const raw = join(dir, `u${n}.wav`), mono = join(dir, `m${n}.wav`), pad = join(dir, `p${n}.wav`);
    n++;
    execFileSync('espeak-ng', ['-v', u.voice, '-s', '160', '-w', raw, u.text]);
    // Trimmed, so the estimated word times span speech and not espeak's lead-in and tail silence.
    execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', mono, 'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse']);
    const speech = soxi(mono);
    const start = +(end + u.at).toFixed(3);
    execFileSync('sox', [mono, pad, 'pad', String(start)]);
    const words = u.text.split(' ');
    const total = words.reduce((s, w) => s + w.length + 1, 0);
    let w0 = start;
    for (const w of words) { const d = (speech * (w.length + 1)) / total; truth.push({ word: w, start: +w0.toFixed(3), end: +(w0 + d * 0.85).toFixed(3), speaker: u.speaker }); w0 += d; }
    placed.push({ file: pad, speaker: u.speaker, gain: u.gain ?? 1 });
    end = Math.max(end, start + speech);
  }
  truth.sort((a, b) => a.start - b.start);
  return { placed, truth };
}

export function mix(parts: Array<{ file: string; gain: number }>, out: string) {
  const args = parts.length === 1 ? ['-v', String(parts[0].gain), parts[0].file] : ['-m', ...parts.flatMap((p) => ['-v', String(p.gain), p.file])];
  execFileSync('sox', [...args, out, 'pad', '0', '0.5'], { stdio: ['ignore', 'ignore', 'ignore'] });
}

export const LOCAL = 'L';
/** Far-end voice leaking into the local mic at -12 dB, local voice echoing into the far-end channel at -20 dB. */
const BLEED_INTO_LOCAL = 0.25, BLEED_INTO_REMOTE = 0.1, LEVEL = 0.5;

export function stereoCall(): { wav: Buffer; truth: TruthWord[]; localIsLeft: boolean } {
  const { placed, truth } = render([
    { speaker: LOCAL, voice: 'en-us', text: 'Hi, thanks for calling the support line.', at: 0.3 },
    { speaker: 'R1', voice: 'en-gb', text: 'Hello, my internet stopped working this morning.', at: 0.6 },
    { speaker: LOCAL, voice: 'en-us', text: 'Sorry to hear that. Which router do you have?', at: 0.5 },
    { speaker: 'R1', voice: 'en-gb', text: 'The white one from last year, with the blue lights.', at: 0.4 },
    // Double talk: the local agent murmurs quietly while the caller is still loud on the other channel.
    { speaker: LOCAL, voice: 'en-us', text: 'Okay, I see.', at: -0.7, gain: 0.35 },
    { speaker: 'R2', voice: 'en-us+f3', text: 'It is the model with four antennas.', at: 0.6 },
    { speaker: LOCAL, voice: 'en-us', text: 'Great, please restart it now.', at: 0.5 },
    { speaker: 'R2', voice: 'en-us+f3', text: 'Done, the lights are blinking again.', at: 0.4 },
    { speaker: 'R1', voice: 'en-gb', text: 'Now it works, thank you so much!', at: 1.8 },
  ]);
  const left = join(dir, 'left.wav'), right = join(dir, 'right.wav'), both = join(dir, 'call.wav');
  mix(placed.map((p) => ({ file: p.file, gain: LEVEL * p.gain * (p.speaker === LOCAL ? 1 : BLEED_INTO_LOCAL) })), left);
  mix(placed.map((p) => ({ file: p.file, gain: LEVEL * p.gain * (p.speaker === LOCAL ? BLEED_INTO_REMOTE : 1) })), right);
  execFileSync('sox', ['-M', left, right, both]);
  return { wav: withChunk(readFileSync(both), 'sctx', Buffer.from(JSON.stringify(truth))), truth, localIsLeft: true };
}

export function meeting(): { wav: Buffer; truth: TruthWord[] } {
  const { placed, truth } = render([
    { speaker: 'A', voice: 'en-us', text: 'Good morning everyone, let us start with the budget.', at: 0.2 },
    { speaker: 'B', voice: 'en-gb', text: 'Thanks. The numbers look fine for the second quarter.', at: 0.9 },
    { speaker: 'C', voice: 'en-us+f3', text: 'I have one question about travel costs.', at: 1.8 },
    { speaker: 'A', voice: 'en-us', text: 'Go ahead, we have time.', at: 0.9 },
    { speaker: 'C', voice: 'en-us+f3', text: 'Why did they double since March?', at: 1.8 },
    { speaker: 'B', voice: 'en-gb', text: 'Two conferences moved into this quarter.', at: 0.9 },
    { speaker: 'A', voice: 'en-us', text: 'Fine, then we keep the plan as it is.', at: 1.2 },
  ]);
  const out = join(dir, 'meeting.wav');
  mix(placed.map((p) => ({ file: p.file, gain: LEVEL })), out);
  return { wav: withChunk(readFileSync(out), 'sctx', Buffer.from(JSON.stringify(truth))), truth };
}

