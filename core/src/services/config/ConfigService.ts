import { readFileSync, existsSync, renameSync } from 'node:fs';
import { unknownFields } from '../../api/unknownFields.js';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../api/types.js';
import { SparkError, validationError } from '../../api/errors.js';
import { isServiceName, PLUGIN_ID } from '../../api/ids.js';
import { removeStaleTemps, writeFileAtomic } from './atomicWrite.js';
import { parseLenient } from './lenientParse.js';
import { zodFieldErrors } from '../../http/problem.js';
import { authSchema, clusterSchema, configFileSchema, hostSchema, serviceTargetSchema, CONFIG_VERSION, type ClusterConfig, type ConfigFile } from '../../config/schema.js';

export type ConfigSection = 'hosts' | 'services' | 'auth' | 'plugins' | string;
type ChangeListener = (section: ConfigSection, value: unknown) => void | Promise<void>;

/** One JSON file in the data dir. Never persists invalid data; loads leniently (bad entries skipped with a warning). */
export class ConfigService {
  readonly path: string;
  private data: ConfigFile;
  private readonly listeners = new Set<ChangeListener>();
  /** Serialises writes so two concurrent updates cannot interleave read-modify-write. */
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string, private readonly log: Logger) {
    this.path = join(dataDir, 'config.json');
    removeStaleTemps(this.path, log);
    this.data = this.load();
  }

  private load(): ConfigFile {
    if (!existsSync(this.path)) return configFileSchema.parse({});
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      const aside = `${this.path}.unreadable-${Date.now()}`;
      try { renameSync(this.path, aside); } catch { /* leave it */ }
      this.log.error('config.json is not valid JSON; starting with defaults', { movedTo: aside, error: (e as Error).message });
      return configFileSchema.parse({});
    }
    const obj = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const hosts = Array.isArray(obj.hosts)
      ? obj.hosts.flatMap((h, i) => {
          const r = hostSchema.safeParse(h);
          if (r.success) return [r.data];
          this.log.warn('skipping invalid stored host', { index: i, fields: r.error.issues.map((x) => x.path.join('.')) });
          return [];
        })
      : [];
    const services: ClusterConfig['services'] = {};
    if (obj.services && typeof obj.services === 'object') {
      for (const [name, t] of Object.entries(obj.services as Record<string, unknown>)) {
        const r = serviceTargetSchema.safeParse(t);
        if (r.success && isServiceName(name)) services[name] = r.data;
        else this.log.warn('skipping invalid stored service mapping', { service: name.slice(0, 40) });
      }
    }
    const cluster = parseLenient(clusterSchema, { hosts, services }, this.log, 'cluster');
    const auth = parseLenient(authSchema, obj.auth, this.log, 'auth');
    const plugins = obj.plugins && typeof obj.plugins === 'object' && !Array.isArray(obj.plugins) ? (obj.plugins as Record<string, unknown>) : {};
    const disabled = Array.isArray(plugins.disabled) ? plugins.disabled.filter((x): x is string => typeof x === 'string') : [];
    return { version: CONFIG_VERSION, auth, hosts: cluster.hosts, services: cluster.services, plugins: { ...plugins, disabled } };
  }

  get(): ConfigFile {
    return this.data;
  }

  cluster(): ClusterConfig {
    return { hosts: this.data.hosts, services: this.data.services };
  }

  pluginRaw(id: string): unknown {
    return this.data.plugins[id];
  }

  disabledPlugins(): string[] {
    return this.data.plugins.disabled;
  }

  onChange(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Validate with the shared cluster schema; 400 naming the fields, nothing written on failure. */
  async updateCluster(input: unknown): Promise<ClusterConfig> {
    const r = clusterSchema.safeParse(input);
    const unknown = unknownFields(clusterSchema, input);
    if (!r.success || unknown.length) throw validationError([...(r.success ? [] : zodFieldErrors(r.error)), ...unknown]);
    await this.commit((cur) => ({ ...cur, hosts: r.data.hosts, services: r.data.services }), ['hosts', 'services']);
    return this.cluster();
  }

  async updateAuth(input: unknown): Promise<void> {
    const r = authSchema.safeParse(input);
    if (!r.success) throw validationError(zodFieldErrors(r.error, ['auth']));
    await this.commit((cur) => ({ ...cur, auth: r.data }), ['auth']);
  }

  /** Store an already-validated plugin slice. */
  async setPluginSlice(id: string, value: unknown): Promise<void> {
    await this.commit((cur) => ({ ...cur, plugins: { ...cur.plugins, [id]: value } }), [id]);
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.commit((cur) => {
      const set = new Set(cur.plugins.disabled);
      if (disabled) set.add(id);
      else set.delete(id);
      return { ...cur, plugins: { ...cur.plugins, disabled: [...set] } };
    }, ['plugins']);
  }

  /** `change` is applied to the state as it is when this write's turn comes (not when it was queued): two
   *  concurrent updates of different sections both survive. */
  private commit(change: (current: ConfigFile) => ConfigFile, sections: ConfigSection[]): Promise<void> {
    const run = async () => {
      const next = change(this.data);
      // Re-validate the whole file: what is written must load back unchanged.
      const checked = configFileSchema.safeParse(next);
      if (!checked.success) throw validationError(zodFieldErrors(checked.error));
      try {
        await writeFileAtomic(this.path, JSON.stringify(next, null, 2) + '\n');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        this.log.error('could not save config.json; the previous file is unchanged', { code });
        throw new SparkError(code === 'ENOSPC' ? 'SPK_CONFIG_DISK_FULL' : 'SPK_CONFIG_WRITE_FAILED',
          code === 'ENOSPC' ? 'the data disk is full: settings were not saved (the previous settings stay in effect)' : `settings could not be saved (${code ?? 'I/O error'}); the previous settings stay in effect`,
          { status: code === 'ENOSPC' ? 507 : 500, expose: true });
      }
      this.data = next;
      for (const s of sections) {
        for (const fn of this.listeners) {
          try {
            await fn(s, s === 'hosts' || s === 'services' || s === 'auth' || s === 'plugins' ? (next as Record<string, unknown>)[s] : next.plugins[s]);
          } catch (e) {
            this.log.error('config listener failed', { section: s, error: (e as Error).message });
          }
        }
      }
    };
    const p = this.writeChain.then(run, run);
    this.writeChain = p.catch(() => {});
    return p;
  }
}

export const pluginIdSchema = z.string().regex(PLUGIN_ID);
