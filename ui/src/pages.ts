import { LitElement, css, html, nothing } from 'lit';
import { ApiError, apiJson, events } from './tile-api.js';
import type { TileInfo } from './tile-host.js';
import type { JsonSchema } from './schema-form.js';
import { codes } from '../../core/src/api/codes.js';
import './kernel-charts.js';

const EMPTY = Object.freeze({}) as Record<string, unknown>;

interface PluginRow {
  id: string; name: string; version?: string; apiVersion?: string; description?: string; source: string; state: string; reason?: string;
  error?: { code: string; message: string; where?: string }; loopStalls?: { count: number; maxMs: number }; health?: Array<{ name: string; status: string; detail?: string }>;
}

const SOURCE_LABEL: Record<string, string> = { builtin: 'built-in', dir: 'plugins folder', npm: 'npm package', inline: 'inline' };
/** Failures a restart cannot fix (the kernel answers 409): the plugin itself has to change. */
const NEEDS_NEW_VERSION = new Set<string>([codes.PLUGIN_DUPLICATE_ID, codes.PLUGIN_DEPENDENCY_CYCLE, codes.PLUGIN_BAD_MANIFEST, codes.PLUGIN_MISSING_DEPENDENCY, codes.PLUGIN_INVALID, codes.PLUGIN_LOAD_FAILED, codes.PLUGIN_CONFIG_DEFAULTS]);
const NOT_RUNNING = new Set(['failed', 'incompatible', 'config_error']);

const pageStyles = css`
  :host { display: block; }
  h1 { font-size: 1.3rem; margin: 4px 0 16px; }
  .card { background: var(--spark-surface); border: 1px solid var(--spark-border); border-radius: var(--spark-radius); padding: 16px; margin-bottom: 16px; box-shadow: var(--spark-shadow); }
  .muted { color: var(--spark-muted); }
  .err { color: var(--spark-err); }
  button { font: inherit; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; }
  button:disabled { opacity: 0.5; cursor: default; }
`;

/** Dashboard: the tiles of every running plugin, in a responsive grid. */
export class SparkDashboard extends LitElement {
  static properties = { tiles: { state: true }, error: { state: true }, broken: { state: true } };
  tiles: TileInfo[] = [];
  error = '';
  /** Plugins that are not running because of a problem: named above the tiles so nobody wonders where a tile went. */
  broken: Array<{ id: string; name: string; state: string }> = [];
  private off?: () => void;
  private reloadTimer?: ReturnType<typeof setTimeout>;

  static styles = [pageStyles, css`
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: var(--spark-gap); align-items: start; grid-auto-flow: row dense; }
    spark-tile-frame { grid-column: span var(--cols, 1); }
    .notice { margin: 0 0 var(--spark-gap); padding: 8px 12px; border-radius: var(--spark-radius); border: 1px solid var(--spark-border); border-left: 3px solid var(--spark-err); background: var(--spark-surface); font-size: 0.9rem; }
    .notice a { color: var(--spark-accent); }
    @media (max-width: 720px) { .grid { grid-template-columns: 1fr; } spark-tile-frame { grid-column: span 1; } }
  `];

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    // A plugin starting or stopping changes the tile list; debounce bursts at boot.
    this.off = events.subscribe('plugin.state', () => {
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => void this.load(), 300);
    });
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
  }

  private async load() {
    try {
      const [next, plugins] = await Promise.all([apiJson<TileInfo[]>('/api/ui/tiles'), apiJson<PluginRow[]>('/api/plugins').catch(() => [] as PluginRow[])]);
      const key = (l: TileInfo[]) => l.map((t) => t.tag).join();
      if (key(next) !== key(this.tiles)) this.tiles = next;
      this.broken = plugins.filter((p) => NOT_RUNNING.has(p.state)).map(({ id, name, state }) => ({ id, name, state }));
      this.error = '';
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  render() {
    if (this.error) return html`<p class="err">Could not load the dashboard: ${this.error}</p>`;
    const notice = this.broken.length
      ? html`<p class="notice" role="status" data-testid="broken-plugins">${this.broken.length === 1 ? '1 plugin is' : `${this.broken.length} plugins are`} not running:
          ${this.broken.map((b, i) => html`${i ? ', ' : ''}<b>${b.name}</b> (${b.state})`)}. <a href="#/plugins">See why on the Plugins page</a>.</p>`
      : nothing;
    if (!this.tiles.length) return html`${notice}<p class="muted">No tiles yet — plugins are starting, or none is running. See the Plugins page.</p>`;
    return html`${notice}<div class="grid">${this.tiles.map((t) => html`<spark-tile-frame style="--cols:${t.cols}" .tile=${t}></spark-tile-frame>`)}</div>`;
  }
}
customElements.define('spark-dashboard', SparkDashboard);


/** Plugins page: every discovered plugin with source, versions, state and why it is not running; under them the
 *  kernel's own charts. */
export class SparkPluginsPage extends LitElement {
  static properties = { rows: { state: true }, error: { state: true }, busy: { state: true }, provides: { state: true } };
  rows: PluginRow[] = [];
  error = '';
  busy = '';
  /** The plugin API version this Spark Control provides (from /api/info). */
  provides = '';
  private off?: () => void;

  static styles = [pageStyles, css`
    table { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
    th, td { text-align: left; padding: 8px 6px; border-bottom: 1px solid var(--spark-border); vertical-align: top; }
    th { color: var(--spark-muted); font-weight: 600; }
    .state { font-weight: 600; }
    .state.running { color: var(--spark-ok); }
    .state.failed, .state.incompatible, .state.config_error { color: var(--spark-err); }
    .state.retrying, .state.starting, .state.registered { color: var(--spark-warn); }
    .why { color: var(--spark-muted); font-size: 0.85rem; }
    .problem { margin-top: 6px; padding: 6px 8px; border-radius: 6px; border-left: 3px solid var(--spark-err); background: color-mix(in srgb, var(--spark-err) 8%, transparent); color: var(--spark-text); font-size: 0.86rem; max-width: 46ch; overflow-wrap: anywhere; }
    .problem code { display: block; font-family: var(--spark-mono); font-size: 0.78rem; color: var(--spark-err); margin-bottom: 2px; }
    .bad { color: var(--spark-err); font-weight: 600; }
    .mono { font-family: var(--spark-mono); font-size: 0.85rem; }
    .actions { display: flex; gap: 6px; flex-wrap: wrap; }
    @media (max-width: 720px) { .hide-sm { display: none; } }
  `];

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    void apiJson<{ apiVersion?: string }>('/api/info').then((i) => { this.provides = i.apiVersion ?? ''; }, () => {});
    this.off = events.subscribe('plugin.state', () => void this.load());
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
  }

  private async load() {
    try { this.rows = await apiJson<PluginRow[]>('/api/plugins'); this.error = ''; } catch (e) { this.error = (e as Error).message; }
  }

  private async act(id: string, action: string) {
    this.busy = `${id}:${action}`;
    try { await apiJson(`/api/plugins/${id}/${action}`, { method: 'POST' }); await this.load(); } catch (e) { this.error = (e as Error).message; } finally { this.busy = ''; }
  }

  private api(p: PluginRow) {
    if (p.state !== 'incompatible') return html`<span class="mono">${p.apiVersion ?? '–'}</span>`;
    return html`<span class="mono bad">${p.apiVersion ?? '–'}</span>${this.provides ? html`<div class="why">provides ${this.provides}</div>` : nothing}`;
  }

  private why(p: PluginRow) {
    // A crash also says where, and when the restart comes (the reason); a plugin that held the event loop says so.
    const stalls = p.loopStalls ? html`<div class="why" data-testid="stalls">held the event loop ${p.loopStalls.count}× (longest ${p.loopStalls.maxMs} ms)</div>` : nothing;
    if (p.error?.where && NOT_RUNNING.has(p.state)) return html`<div class="problem" data-testid="why" role="note"><code>${p.error.code}</code>${p.error.message}<div class="why">${p.reason ?? p.error.where}</div></div>${stalls}`;
    if (p.loopStalls && !p.error) return html`${p.reason ? html`<div class="why">${p.reason}</div>` : nothing}${stalls}`;
    if (p.error && NOT_RUNNING.has(p.state)) return html`<div class="problem" data-testid="why" role="note"><code>${p.error.code}</code>${p.error.message}</div>`;
    if (p.error) return html`<div class="why" data-testid="why">${p.error.code}: ${p.error.message}</div>`;
    return p.reason ? html`<div class="why">${p.reason}</div>` : nothing;
  }

  render() {
    return html`<h1>Plugins</h1>
      ${this.error ? html`<p class="err">${this.error}</p>` : nothing}
      <div class="card"><table>
        <thead><tr><th>Plugin</th><th class="hide-sm">Source</th><th class="hide-sm">Version</th><th class="hide-sm">API</th><th>State</th><th></th></tr></thead>
        <tbody>${this.rows.map((p) => {
          const stuck = p.state === 'incompatible' || NEEDS_NEW_VERSION.has(p.error?.code ?? '');
          const stuckTitle = stuck ? 'A restart cannot fix this: install a fixed version of the plugin, then restart Spark Control' : '';
          return html`<tr data-plugin=${p.id}>
          <td><b>${p.name}</b><div class="why">${p.id}</div></td>
          <td class="hide-sm" data-testid="source">${SOURCE_LABEL[p.source] ?? p.source}</td>
          <td class="hide-sm" data-testid="version">${p.version ?? '–'}</td>
          <td class="hide-sm" data-testid="api">${this.api(p)}</td>
          <td><span class="state ${p.state}">${p.state}</span>${this.why(p)}</td>
          <td><div class="actions">
            ${p.state === 'disabled'
              ? html`<button ?disabled=${!!this.busy} @click=${() => this.act(p.id, 'enable')}>Enable</button>`
              : html`<button ?disabled=${!!this.busy || stuck} title=${stuckTitle} @click=${() => this.act(p.id, 'restart')}>Restart</button>
                     <button ?disabled=${!!this.busy || stuck} title=${stuckTitle} @click=${() => this.act(p.id, 'disable')}>Disable</button>`}
          </div></td></tr>`;
        })}</tbody>
      </table></div>
      <div class="card"><spark-kernel-charts></spark-kernel-charts></div>`;
  }
}
customElements.define('spark-plugins-page', SparkPluginsPage);

interface ConfigView { hosts: unknown[]; services: Record<string, unknown>; plugins: Record<string, Record<string, unknown>>; auth: { tokenSet: boolean } }
interface SchemaView { cluster: JsonSchema; plugins: Record<string, JsonSchema> }

/** Settings: one form per plugin, generated from its JSON Schema; server-side validation messages sit by the field. */
export class SparkSettingsPage extends LitElement {
  static properties = { schemas: { state: true }, config: { state: true }, errors: { state: true }, saved: { state: true }, busy: { state: true }, loadError: { state: true }, names: { state: true } };
  schemas?: SchemaView;
  /** Plugin id → its name, for the section headings (the id is shown small beside it). */
  names: Record<string, string> = {};
  config?: ConfigView;
  errors: Record<string, Record<string, string>> = {};
  saved: Record<string, boolean> = {};
  busy = '';
  loadError = '';

  static styles = [pageStyles, css`h2 .id { font-size: 0.8rem; font-weight: 500; margin-left: 6px; }`];

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      [this.schemas, this.config] = await Promise.all([apiJson<SchemaView>('/api/config/schema'), apiJson<ConfigView>('/api/config')]);
      void apiJson<PluginRow[]>('/api/plugins').then((rows) => { this.names = Object.fromEntries(rows.map((r) => [r.id, r.name])); }, () => {});
    } catch (e) {
      this.loadError = (e as Error).message;
    }
  }

  private async save(id: string, values: Record<string, unknown>) {
    this.busy = id;
    try {
      const next = await apiJson<Record<string, unknown>>(`/api/config/plugins/${id}`, { method: 'PUT', jsonBody: values });
      this.config = { ...this.config!, plugins: { ...this.config!.plugins, [id]: next } };
      this.errors = { ...this.errors, [id]: {} };
      this.saved = { ...this.saved, [id]: true };
    } catch (e) {
      const fields = e instanceof ApiError && Object.keys(e.fields).length ? e.fields : { '': (e as Error).message };
      this.errors = { ...this.errors, [id]: fields };
      this.saved = { ...this.saved, [id]: false };
    } finally {
      this.busy = '';
    }
  }

  render() {
    if (this.loadError) return html`<p class="err">${this.loadError}</p>`;
    if (!this.schemas || !this.config) return html`<p class="muted">Loading…</p>`;
    const ids = Object.keys(this.schemas.plugins).filter((id) => Object.keys(this.schemas!.plugins[id]?.properties ?? {}).length);
    return html`<h1>Settings</h1>
      <p class="muted">Hosts and which service runs where are set in <b>Configure Sparks</b> on the Sparks tile of the Dashboard. Blank optional fields mean "use the default".</p>
      ${ids.map((id) => html`<section class="card" data-settings=${id}>
        <h2>${this.names[id] ?? id} <span class="muted id">${id}</span></h2>
        <spark-schema-form .schema=${this.schemas!.plugins[id]} .initial=${this.config!.plugins[id] ?? EMPTY} .errors=${this.errors[id] ?? {}}
          ?busy=${this.busy === id} ?saved=${!!this.saved[id]} @submit-values=${(e: CustomEvent) => this.save(id, e.detail)}></spark-schema-form>
      </section>`)}`;
  }
}
customElements.define('spark-settings-page', SparkSettingsPage);
