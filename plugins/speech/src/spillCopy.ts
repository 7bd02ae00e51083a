import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';

/** Bytes of an upload's copy held in memory before it goes to disk: a short recording (a minute of 16 kHz WAV is
 *  1.9 MB) never touches the disk unless a second pass needs it, and at most this much per request in memory. */
export const COPY_MEMORY_BYTES = 4 * 1024 * 1024;

/**
 * The copy of an upload kept for a second pass (diarization, per-channel or chunked transcription). It stays in memory
 * while it is small and spills to `path` once it passes `memoryBytes`; most uploads need no second pass, so for them
 * the copy costs no file open, writes, close or unlink on the request's path. The chunks are kept as they came (busboy
 * hands out buffers of their own), never copied while in memory.
 */
export class SpillingCopy {
  private parts: Buffer[] = [];
  private held = 0;
  private file?: WriteStream;
  /** Whether `path` was created (spilled or saved), so that `discard` removes it. */
  private touched = false;
  private settle: () => void = () => {};
  /** Resolves once the copy is complete (ended) or abandoned (destroyed, or the disk failed). */
  readonly done = new Promise<void>((r) => { this.settle = r; });

  constructor(readonly path: string, private readonly memoryBytes = COPY_MEMORY_BYTES) {}

  /** false when the disk has fallen behind: read on after `onceDrained`. */
  write(d: Buffer): boolean {
    if (this.file) return this.file.write(d);
    this.parts.push(d);
    this.held += d.length;
    if (this.held <= this.memoryBytes) return true;
    this.file = createWriteStream(this.path, { mode: 0o600 });
    this.touched = true;
    this.file.on('close', () => this.settle());
    this.file.on('error', () => this.settle());
    let ok = true;
    for (const p of this.parts) ok = this.file.write(p);
    this.parts = [];
    this.held = 0;
    return ok;
  }

  onceDrained(cb: () => void): void {
    if (this.file) this.file.once('drain', cb);
    else queueMicrotask(cb);
  }

  end(): void {
    if (this.file) this.file.end();
    else this.settle();
  }

  destroy(): void {
    this.file?.destroy();
    this.parts = [];
    this.settle();
  }

  /** Puts the complete copy at `path` (a spilled copy already is). */
  async save(): Promise<void> {
    await this.done;
    if (this.file) return;
    this.touched = true;
    await writeFile(this.path, Buffer.concat(this.parts), { mode: 0o600 });
    this.parts = [];
  }

  /** Frees the copy: memory, and the file when there is one. */
  discard(): void {
    this.parts = [];
    if (this.touched) try { unlinkSync(this.path); } catch { /* none */ }
  }
}
