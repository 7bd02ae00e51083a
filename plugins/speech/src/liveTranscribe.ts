import { isChunked, transcribeChunks, type ChunkOptions } from './longTranscribe.js';
import type { AsrAnswer } from './upstreamSchemas.js';
import { bytesSource, readWavInfo, readWavLayout, type WavInfo } from './wavFile.js';
import type { WavRange } from './wavSlice.js';

/** An upload's copy while it is being written to its file. */
export interface GrowingCopy {
  readonly path: string;
  /** The file's first bytes, already in memory (the upload's head): its layout is read from them when they hold it. */
  readonly head?: Buffer;
  /** Resolves once the file holds the upload's first `bytes`; rejects when the upload ends (or fails) short of them. */
  untilOnDisk(bytes: number, signal?: AbortSignal): Promise<void>;
}

type ChunkedAnswer = AsrAnswer & { chunks: number };

/**
 * Chunked ASR of a long WAV upload that starts while the upload is still arriving, so the client's upload hides
 * behind the recogniser's time: the layout is read from the file's first bytes once they are on disk, and each chunk
 * goes to the recogniser (through the same queue, one after the other, as transcribeFile sends them) as soon as its
 * bytes are in. Whether that answer stands is decided once the upload is complete: the fields must be valid (else the
 * caller `stop`s it, which aborts what is in flight) and the finished file must read as the layout the chunks were
 * cut from (else it is stopped and the file is transcribed from disk, as if nothing had started).
 */
export class LiveTranscription {
  private readonly ctl = new AbortController();
  /** The layout read from the growing file; undefined when it cannot be planned before the upload ends. */
  private readonly layout: Promise<WavInfo | undefined>;
  private readonly run: Promise<ChunkedAnswer | undefined>;

  constructor(private readonly copy: GrowingCopy, o: ChunkOptions, call: (path: string, filename: string, range: WavRange | undefined, signal: AbortSignal) => Promise<AsrAnswer>, signal: AbortSignal) {
    const s = AbortSignal.any([signal, this.ctl.signal]);
    this.layout = this.readLayout(s);
    this.run = this.layout.then((info) => info && isChunked(info, o)
      ? transcribeChunks(copy.path, info, o, { call: (p, n, range) => call(p, n, range, s) }, (end) => copy.untilOnDisk(end, s))
      : undefined);
    this.layout.catch(() => {});
    this.run.catch(() => {});
  }

  /** Reads the header from the upload's head in memory, else from the file as it grows (metadata chunks before the
   *  audio can be large). From the file it took 26 ms of a 10-minute recording's 54 ms overhead: the spill of the copy
   *  and six small reads queued behind the upload's own writes. */
  private async readLayout(signal: AbortSignal): Promise<WavInfo | undefined> {
    const head = this.copy.head;
    if (head) {
      const r = await readWavLayout(bytesSource(head), { growing: true });
      if (r.ok) return r.info;
      if (!r.incomplete) return undefined;
    }
    // From the file: past what the head already held (a header longer than it), else from its first 4 KiB.
    for (let want = Math.max(4096, (head?.length ?? 0) * 4); ; want *= 4) {
      try {
        await this.copy.untilOnDisk(want, signal);
      } catch (e) {
        if (signal.aborted) throw e;
        return undefined; // the whole upload is shorter than that: nothing left to hide behind
      }
      const r = await readWavInfo(this.copy.path, { growing: true });
      if (r.ok) return r.info;
      if (!r.incomplete) return undefined;
    }
  }

  /** Aborts whatever was sent and resolves once none of it runs any more. */
  async stop(): Promise<void> {
    this.ctl.abort();
    await this.run.catch(() => {});
  }

  /** Once the upload is complete (its copy closed) and its fields are valid: the chunked answer, or undefined when
   *  the file must be transcribed from disk instead (then nothing of this runs any more). A recogniser's error on a
   *  chunk is thrown, as transcribeFile would throw it. */
  async answer(): Promise<ChunkedAnswer | undefined> {
    const [planned, finished] = await Promise.all([this.layout.catch(() => undefined), readWavInfo(this.copy.path)]);
    if (!planned || !finished.ok || !sameLayout(planned, finished.info)) { await this.stop(); return undefined; }
    return this.run;
  }
}

function sameLayout(a: WavInfo, b: WavInfo): boolean {
  return a.rate === b.rate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample && a.encoding === b.encoding && a.blockAlign === b.blockAlign
    && a.dataOffset === b.dataOffset && a.dataBytes === b.dataBytes && a.extras.length === b.extras.length
    && a.extras.every((e, i) => e.id === b.extras[i].id && e.data.equals(b.extras[i].data));
}
