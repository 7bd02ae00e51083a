import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import busboy from 'busboy';
import { SparkError, type RouteContext } from '@spark-control/plugin-api';
import { toPcm16Wav } from './decodeCompressed.js';
import { SpillingCopy } from './spillCopy.js';
import type { WavRange } from './wavSlice.js';

export interface UploadStream {
  /** Multipart body for the upstream: the file part streamed as it arrives, then `extraFields`. */
  body: Readable;
  contentType: string;
  /** Resolves with the client's form fields once the whole request was read; rejects on a bad or oversized upload. */
  fields: Promise<Record<string, string[]>>;
  /** Bytes of the file seen so far. */
  bytes(): number;
  /** The fields sent before the file and its first bytes (up to 16 KiB), as soon as they are there; lets a caller
   *  decide to spool instead of streaming (a stereo WAV may be a dual-channel call). Never rejects. */
  head: Promise<{ fields: Record<string, string[]>; bytes: Buffer }>;
  /** Resolves once the tee copy is complete, in memory or spilled to disk (at once without `teePath`). */
  copied: Promise<void>;
  /** Puts the complete tee copy at `teePath` (a small one is held in memory until a second pass asks for it). */
  saveCopy(): Promise<void>;
  /** Resolves once `teePath` holds the file's first `bytes` while the rest may still arrive (the copy goes to disk
   *  from now on); rejects when the file ends or fails short of them, or without a copy. */
  untilOnDisk(bytes: number, signal?: AbortSignal): Promise<void>;
  /** Frees the tee copy (memory, and its file if it has one). */
  dropCopy(): void;
  /** Stop reading: the rest of the upload is drained and dropped, `fields` rejects. */
  cancel(): void;
  /** The upload is only spooled: `body` is not sent anywhere, so the file's bytes are not re-encoded into it. */
  dropBody(): void;
}

/** The file's first bytes the head holds: a WAV's whole header as recorders write it (metadata chunks of a few KiB
 *  before the audio included), so a long recording's layout is read from memory (liveTranscribe.ts). */
const HEAD_BYTES = 16 * 1024;
/** What a file sent to the upstream is read in: a long recording's chunk (2 minutes of 16 kHz WAV, 3.8 MB) took 60
 *  reads through the thread pool at the 64 KiB default, each a round trip between parakeet's requests. */
const FILE_READ_BYTES = 1024 * 1024;
/** What the upstream body buffers before the upload is paused: a few of the client's socket reads (64 KiB each), so
 *  a chunk seldom waits on a pause and resume. */
const OUT_BUFFER_BYTES = 256 * 1024;

/** A multipart Content-Type without its boundary cannot be parsed: say so before anything waits for parts. */
export function requireBoundary(contentType: string): void {
  if (/;\s*boundary=("[^"]+"|[^\s;]+)/i.test(contentType)) return;
  throw new SparkError('SPEECH_BAD_MULTIPART', 'Content-Type multipart/form-data needs its boundary parameter (multipart/form-data; boundary=…)', {
    status: 400, details: { errors: [{ field: 'content-type', message: 'no boundary parameter' }] },
  });
}

/** Re-streams a client's multipart upload to an upstream without holding it in memory or on disk. The client's
 *  fields are collected (they may come after the file) and `extraFields(fields)` decides what the upstream gets. */
/** `teePath`: also copy the file bytes there (for a second pass, e.g. diarized_json). */
export function streamUpload(c: RouteContext, maxBytes: number, extraFields: (clientFields: Record<string, string[]>) => Record<string, string | string[]>, teePath?: string): UploadStream {
  const type = String(c.headers['content-type'] ?? '');
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw new SparkError('SPEECH_NOT_MULTIPART', 'send the audio as multipart/form-data with a "file" field', { status: 415, details: { errors: [{ field: 'content-type', message: 'must be multipart/form-data' }] } });
  }
  requireBoundary(type);
  const len = Number(c.headers['content-length'] ?? 0);
  if (len > maxBytes + 64 * 1024) {
    throw new SparkError('SPEECH_TOO_LARGE', `uploads are limited to ${Math.round(maxBytes / 1048576)} MB`, { status: 413, details: { errors: [{ field: 'file', message: 'too large' }] } });
  }
  const boundary = `----spark${randomBytes(12).toString('hex')}`;
  // The body is pushed into as the file arrives (no Transform in between: one stream hop less per chunk); read() is
  // the upstream asking for more, which resumes a file paused on a full buffer.
  let wantMore: (() => void) | undefined;
  const out = new Readable({ highWaterMark: OUT_BUFFER_BYTES, read() { const w = wantMore; wantMore = undefined; w?.(); } });
  /** The file part's own header, sent together with its first bytes (one upstream write less). */
  let partHead: Buffer | undefined;
  const fields: Record<string, string[]> = Object.create(null); // a field named "toString" or "__proto__" is just a name
  let seen = 0;
  let sawFile = false;
  let forwarding = true;
  let headDone: (h: { fields: Record<string, string[]>; bytes: Buffer }) => void = () => {};
  const head = new Promise<{ fields: Record<string, string[]>; bytes: Buffer }>((r) => { headDone = r; });
  let headFields: Record<string, string[]> | undefined;
  const headParts: Buffer[] = [];
  let headLen = 0;
  const giveHead = () => headDone({ fields: headFields ?? { ...fields }, bytes: Buffer.concat(headParts) });
  let copiedDone: () => void = () => {};
  const copied = teePath ? new Promise<void>((r) => { copiedDone = r; }) : Promise.resolve();
  let tee: SpillingCopy | undefined;
  let cancel = () => {};
  const fieldsDone = new Promise<Record<string, string[]>>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: c.req.headers, limits: { fileSize: maxBytes, files: 1, fields: 50, fieldSize: 64 * 1024 } });
    } catch {
      c.req.resume();
      giveHead();
      copiedDone();
      reject(new SparkError('SPEECH_BAD_MULTIPART', 'the multipart body could not be read', { status: 400, details: { errors: [{ field: 'file', message: 'bad multipart body' }] } }));
      return;
    }
    const fail = (e: SparkError) => { out.destroy(); tee?.destroy(); copiedDone(); c.req.unpipe(bb); c.req.resume(); giveHead(); reject(e); };
    cancel = () => fail(new SparkError('SPK_ABORTED', 'the upload was not needed any more', { status: 499 }));
    bb.on('field', (name, value) => { (fields[name] ??= []).push(value); });
    bb.on('file', (name, file, info) => {
      if (name !== 'file') { file.resume(); return; }
      sawFile = true;
      partHead = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${(info.filename || 'audio').replace(/["\r\n\\]/g, '_')}"\r\nContent-Type: ${info.mimeType || 'application/octet-stream'}\r\n\r\n`);
      headFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [...v]]));
      tee = teePath ? new SpillingCopy(teePath) : undefined;
      void tee?.done.then(() => copiedDone());
      file.on('data', (d: Buffer) => {
        seen += d.length;
        if (headLen < HEAD_BYTES) { headParts.push(d.subarray(0, HEAD_BYTES - headLen)); headLen += Math.min(d.length, HEAD_BYTES - headLen); if (headLen >= HEAD_BYTES) giveHead(); }
        // Both the upstream and the disk copy may fall behind: read on only once every full one has drained, or a
        // slow disk would buffer the whole upload in memory.
        const teeFull = tee ? !tee.write(d) : false;
        let outFull = false;
        if (forwarding) {
          outFull = !out.push(partHead ? Buffer.concat([partHead, d]) : d);
          partHead = undefined;
        }
        if (teeFull || outFull) {
          file.pause();
          let waiting = (teeFull ? 1 : 0) + (outFull ? 1 : 0);
          const drained = () => { if (--waiting === 0) file.resume(); };
          if (teeFull) tee!.onceDrained(drained);
          if (outFull) wantMore = drained;
        }
      });
      file.on('end', () => { giveHead(); tee?.end(); });
      file.on('error', () => { /* reported through busboy's own 'error' */ });
      file.on('limit', () => fail(new SparkError('SPEECH_TOO_LARGE', `uploads are limited to ${Math.round(maxBytes / 1048576)} MB`, { status: 413, details: { errors: [{ field: 'file', message: 'too large' }] } })));
    });
    bb.on('error', () => fail(new SparkError('SPEECH_BAD_MULTIPART', 'the multipart body is malformed or was cut off', { status: 400, details: { errors: [{ field: 'file', message: 'bad or truncated multipart body' }] } })));
    bb.on('close', () => {
      giveHead();
      if (!sawFile) return fail(new SparkError('SPEECH_NO_FILE', 'no "file" field in the upload', { status: 400, details: { errors: [{ field: 'file', message: 'required' }] } }));
      // The end of the file part, the upstream's fields and the closing boundary in one write.
      let tail = '\r\n';
      for (const [k, v] of Object.entries(extraFields(fields))) {
        for (const one of Array.isArray(v) ? v : [v]) tail += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${one}\r\n`;
      }
      tail += `--${boundary}--\r\n`;
      out.push(partHead ? Buffer.concat([partHead, Buffer.from(tail)]) : Buffer.from(tail));
      partHead = undefined;
      out.push(null);
      resolve(fields);
    });
    c.req.on('aborted', () => fail(new SparkError('SPK_ABORTED', 'the upload was cut off', { status: 400 })));
    c.req.pipe(bb);
  });
  fieldsDone.catch(() => {});
  return {
    body: out, contentType: `multipart/form-data; boundary=${boundary}`, fields: fieldsDone, bytes: () => seen, head, copied, cancel: () => cancel(),
    dropBody: () => { forwarding = false; out.resume(); },
    saveCopy: async () => { await copied; await tee?.save(); },
    untilOnDisk: (bytes, signal) => tee ? tee.untilOnDisk(bytes, signal) : Promise.reject(new Error('the upload has no copy')),
    dropCopy: () => tee?.discard(),
  };
}

/** Multipart body re-read from a spooled file (two-pass endpoints: ASR and diarization on the same audio); with
 *  `range`, the file part is that header and then those bytes of the file (a chunk of a long WAV, cut nowhere). */
export function multipartFromFile(path: string, filename: string, fields: Record<string, string | string[]>, range?: WavRange): { body: Readable; contentType: string } {
  const boundary = `----spark${randomBytes(12).toString('hex')}`;
  const out = new PassThrough({ highWaterMark: FILE_READ_BYTES });
  out.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename.replace(/["\r\n\\]/g, '_')}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  if (range) out.write(range.header);
  // An empty range still ends, so the part is complete (a read stream cannot be given one).
  const f = !range ? createReadStream(path, { highWaterMark: FILE_READ_BYTES }) : range.end > range.start ? createReadStream(path, { start: range.start, end: range.end - 1, highWaterMark: FILE_READ_BYTES }) : Readable.from([]);
  f.on('error', (e: Error) => out.destroy(e));
  f.on('end', () => {
    out.write('\r\n');
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) out.write(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${one}\r\n`);
    out.end(`--${boundary}--\r\n`);
  });
  f.pipe(out, { end: false });
  return { body: out, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Spools the upload to a temp file (size-capped) for endpoints that must send the audio twice. */
export async function spoolUpload(c: RouteContext, maxBytes: number, dir: string): Promise<{ path: string; filename: string; fields: Record<string, string[]>; cleanup(): void }> {
  const path = join(dir, `upload-${randomBytes(8).toString('hex')}`);
  const u = streamUpload(c, maxBytes, () => ({}));
  // Parse the (already size-checked) re-streamed body once more and write just the file part to disk.
  const file = createWriteStream(path, { mode: 0o600 });
  let filename = 'audio';
  const parsed = busboy({ headers: { 'content-type': u.contentType } });
  parsed.on('file', (_n, s, info) => { filename = info.filename || filename; s.on('error', () => file.destroy()); s.pipe(file); });
  const written = new Promise<void>((resolve, reject) => { file.on('finish', resolve); file.on('error', reject); parsed.on('error', reject); });
  u.body.on('error', () => parsed.destroy());
  u.body.pipe(parsed);
  const cleanup = () => { try { unlinkSync(path); } catch { /* gone */ } };
  try {
    const fields = await u.fields;
    await written;
    // One sample format for every pipeline after this (slicing, channel split): 16-bit PCM WAV.
    await toPcm16Wav(path);
    return { path, filename, fields, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
