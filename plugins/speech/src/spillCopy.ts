import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';

/** Bytes of an upload's copy held in memory before it goes to disk: a short recording (a minute of 16 kHz WAV is
 *  1.9 MB) never touches the disk unless a second pass needs it, and at most this much per request in memory. */
export const COPY_MEMORY_BYTES = 4 * 1024 * 1024;

/** What the copy's file buffers before the upload is paused for the disk: a 16 KiB buffer (the default) paused the
 *  upload on nearly every 64 KiB socket read, until that one write had completed, so a long recording arrived at the
 *  disk's per-write pace; this much lets writes pile up and go out together, and still bounds the memory. */
const FILE_BUFFER_BYTES = 1024 * 1024;

/**
 * The copy of an upload kept for a second pass (diarization, per-channel or chunked transcription). It stays in memory
 * while it is small and spills to `path` once it passes `memoryBytes`; most uploads need no second pass, so for them
 * the copy costs no file open, writes, close or unlink on the request's path. The chunks are kept as they came (busboy
 * hands out buffers of their own), never copied while in memory. A long recording's chunks can be read from the file
 * while the rest still arrives (`untilOnDisk`).
 */
export class SpillingCopy {
  private parts: Buffer[] = [];
  private held = 0;
  private file?: WriteStream;
  /** Whether `path` was created (spilled or saved), so that `discard` removes it. */
  private touched = false;
  /** end() was called: every byte of the copy was written to it. */
  private ended = false;
  /** The file is closed (complete, failed or destroyed), or the copy was destroyed before it had one. */
  private closed = false;
  /** Bytes of the copy the file holds (each counted once its write completed). */
  private onDisk = 0;
  private waiters: Array<{ bytes: number; resolve: () => void; reject: (e: Error) => void }> = [];
  private saving?: Promise<void>;
  private settle: () => void = () => {};
  /** Resolves once the copy is complete (ended) or abandoned (destroyed, or the disk failed). */
  readonly done = new Promise<void>((r) => { this.settle = r; });

  constructor(readonly path: string, private readonly memoryBytes = COPY_MEMORY_BYTES) {}

  /** false when the disk has fallen behind: read on after `onceDrained`. */
  write(d: Buffer): boolean {
    if (this.file) return this.toFile(d);
    this.parts.push(d);
    this.held += d.length;
    if (this.held <= this.memoryBytes) return true;
    return this.spill();
  }

  private toFile(d: Buffer): boolean {
    return this.file!.write(d, (err) => { if (!err) { this.onDisk += d.length; this.wake(false); } });
  }

  /** Moves the copy so far to the file; what comes after is written there. */
  private spill(): boolean {
    this.file = createWriteStream(this.path, { mode: 0o600, highWaterMark: FILE_BUFFER_BYTES });
    this.touched = true;
    this.file.on('close', () => { this.closed = true; this.settle(); this.wake(true); });
    this.file.on('error', () => { this.closed = true; this.settle(); this.wake(true); });
    let ok = true;
    for (const p of this.parts) ok = this.toFile(p);
    this.parts = [];
    this.held = 0;
    return ok;
  }

  /** Settles the waiters the file now satisfies; once it is closed, the others fail (the copy ended short of them). */
  private wake(final: boolean): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.bytes <= this.onDisk) { w.resolve(); return false; }
      if (final) { w.reject(new Error(`the upload's copy ended at byte ${this.onDisk}, before byte ${w.bytes}`)); return false; }
      return true;
    });
  }

  /** Resolves once the file holds the copy's first `bytes` (a copy still in memory goes to disk now, and everything
   *  after it too); rejects when the copy ends shorter, fails or is destroyed first, or `signal` aborts. */
  async untilOnDisk(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (!this.file) {
      if (this.closed) throw new Error('the upload\'s copy was abandoned');
      if (this.ended) {
        if (bytes > this.held) throw new Error(`the upload's copy ended at byte ${this.held}, before byte ${bytes}`);
        return this.save();
      }
      this.spill();
    }
    if (bytes <= this.onDisk) return;
    if (this.closed) throw new Error(`the upload's copy ended at byte ${this.onDisk}, before byte ${bytes}`);
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => { this.waiters = this.waiters.filter((w) => w !== entry); reject(signal!.reason); };
      const entry = {
        bytes,
        resolve: () => { signal?.removeEventListener('abort', onAbort); resolve(); },
        reject: (e: Error) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(entry);
    });
  }

  onceDrained(cb: () => void): void {
    if (this.file) this.file.once('drain', cb);
    else queueMicrotask(cb);
  }

  end(): void {
    this.ended = true;
    if (this.file) this.file.end();
    else this.settle();
  }

  destroy(): void {
    this.file?.destroy();
    if (!this.file) this.closed = true;
    this.parts = [];
    this.settle();
  }

  /** Puts the complete copy at `path` (a spilled copy already is); once, whoever asks. */
  save(): Promise<void> {
    return this.saving ??= (async () => {
      await this.done;
      if (this.file) return;
      this.touched = true;
      await writeFile(this.path, Buffer.concat(this.parts), { mode: 0o600 });
      this.parts = [];
    })();
  }

  /** Frees the copy: memory, and the file when there is one. */
  discard(): void {
    this.parts = [];
    if (this.touched) try { unlinkSync(this.path); } catch { /* none */ }
  }
}
