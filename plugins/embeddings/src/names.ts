import { hash } from 'node:crypto';
import { SparkError } from '@spark-control/plugin-api';

/** Qdrant accepts `..`, `%`, `#`, spaces and unicode in names; we accept only this, and encode it anyway. */
export const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function collectionPath(name: unknown): string {
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
    throw new SparkError('invalid_collection_name', 'collection names are 1–63 letters, digits, _ and -, starting with a letter or digit', { status: 400, details: { errors: [{ field: 'collection', message: 'must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$' }] } });
  }
  return `/collections/${encodeURIComponent(name)}`;
}

/** RFC 4122 UUIDv5 (SHA-1, namespace + name): the same caller id always maps to the same point id. */
const NAMESPACE = Buffer.from('9b7e7c2a4f1d4e8a9a1b2c3d4e5f6a7b', 'hex'); // Spark Control's own namespace
export function uuidV5(name: string): string {
  // One-shot hash: a Hash object per id was most of this function's time (two per ingested item before).
  const h = hash('sha1', Buffer.concat([NAMESPACE, Buffer.from(name, 'utf8')]), 'buffer');
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
