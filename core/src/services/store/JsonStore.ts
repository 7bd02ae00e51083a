import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonStore, StoreOptions } from '../../api/types.js';
import { SparkError } from '../../api/errors.js';
import { codes } from '../../api/codes.js';
import { writeFileAtomic } from '../config/atomicWrite.js';

/** `<segment>[/<segment>…]`, each segment lower-case letters, digits, `.`, `_`, `-`, no `..`: a file under the plugin's dir. */
const STORE_KEY = /^[a-z0-9][a-z0-9._-]{0,127}(\/[a-z0-9][a-z0-9._-]{0,127}){0,3}$/;

/** What a store file holds: `{ version, data }`. A file without this envelope was written before the store (version 0). */
interface Envelope { version: number; data: unknown }
const isEnvelope = (v: unknown): v is Envelope =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 2 && Number.isInteger((v as Envelope).version) && 'data' in v;

/**
 * Versioned JSON state in one file, after Home Assistant's `helpers/storage.Store`: the file says which version of the
 * data it holds, an older one goes through `migrate` when read, and every write is atomic (temp file, fsync, rename):
 * a crash at any moment leaves the old or the new content, never a mix. Writes are serialised in call order.
 */
export class JsonFileStore<T> implements JsonStore<T> {
  readonly path: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(dir: string, readonly key: string, private readonly o: StoreOptions<T>, private readonly onRemoved?: () => void) {
    if (!STORE_KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
      throw new SparkError(codes.STORE_KEY, `store key ${JSON.stringify(key.slice(0, 80))} must be lower-case segments of a-z 0-9 . _ - separated by /`, { status: 500 });
    }
    if (!Number.isInteger(o.version) || o.version < 1) throw new SparkError(codes.STORE_KEY, `store ${key}: version must be a whole number ≥ 1`, { status: 500 });
    this.path = join(dir, `${key}${o.extension ?? '.json'}`);
  }

  read(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    let parsed: unknown;
    try {
      const raw = readFileSync(this.path);
      parsed = JSON.parse(this.o.codec ? this.o.codec.decode(raw) : raw.toString('utf8'));
    } catch (e) {
      throw new SparkError(codes.STORE_UNREADABLE, `store ${this.key} is unreadable: ${(e as Error).message}`, { status: 500, cause: e });
    }
    const { version, data } = isEnvelope(parsed) ? parsed : { version: 0, data: parsed };
    if (version === this.o.version) return data as T;
    if (version > this.o.version) {
      throw new SparkError(codes.STORE_VERSION, `store ${this.key} holds version ${version}, newer than this plugin's ${this.o.version}`, { status: 500 });
    }
    if (!this.o.migrate) throw new SparkError(codes.STORE_VERSION, `store ${this.key} holds version ${version} and the plugin gives no migrate to ${this.o.version}`, { status: 500 });
    return this.o.migrate(data, version);
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify({ version: this.o.version, data });
    const run = () => writeFileAtomic(this.path, this.o.codec ? this.o.codec.encode(text) : text, 0o600);
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => {});
    return p;
  }

  remove(): Promise<void> {
    const run = async () => { rmSync(this.path, { force: true }); this.onRemoved?.(); };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => {});
    return p;
  }

  async flush(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen;
    }
  }
}
