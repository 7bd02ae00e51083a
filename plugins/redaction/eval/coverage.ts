import type { Entity } from './corpus.js';

/** A gold value is caught when every letter and digit of its identifying words lies inside some detected span (of
 *  any kind: a name redacted as an org does not leak). `filler` words identify nobody alone ("and", "van der"). */
export function caught(text: string, covered: Uint8Array, e: Entity, filler: ReadonlySet<string>): boolean {
  const re = /[\p{L}\p{N}]+/gu;
  const value = text.slice(e.start, e.end);
  for (let m = re.exec(value); m; m = re.exec(value)) {
    if (filler.has(m[0].toLowerCase())) continue;
    for (let i = e.start + m.index; i < e.start + m.index + m[0].length; i++) if (!covered[i]) return false;
  }
  return true;
}
