import { LitElement, css, html, nothing } from 'lit';
import { createTileApi } from './tile-api.js';

export interface TileInfo {
  plugin: string;
  tag: string;
  moduleUrl: string;
  title: string;
  cols: number;
  order: number;
  state: string;
}

/** Each tile module is imported once per page, whatever the number of tiles using it. */
const moduleCache = new Map<string, Promise<unknown>>();
const DEFINE_TIMEOUT_MS = 5000;

/** Imports the module of a tile or a page section (once per page) and waits for it to define the element. */
export async function loadElement(t: { tag: string; moduleUrl: string }): Promise<void> {
  let p = moduleCache.get(t.moduleUrl);
  if (!p) {
    p = import(/* @vite-ignore */ t.moduleUrl);
    moduleCache.set(t.moduleUrl, p);
  }
  await p;
  await Promise.race([
    customElements.whenDefined(t.tag),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`the module did not define <${t.tag}> within ${DEFINE_TIMEOUT_MS / 1000} s`)), DEFINE_TIMEOUT_MS)),
  ]);
}

/** Frame around one plugin tile: title, state, and the tile element — or an error card when it cannot load. */
export class SparkTileFrame extends LitElement {
  static properties = { tile: { attribute: false }, error: { state: true } };
  tile!: TileInfo;
  error = '';
  private mounted?: HTMLElement;

  static styles = css`
    :host { display: block; background: var(--spark-surface); border: 1px solid var(--spark-border); border-radius: var(--spark-radius); box-shadow: var(--spark-shadow); min-width: 0; }
    header { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 12px 16px 0; }
    h2 { font-size: 1rem; margin: 0; font-weight: 650; }
    .plugin { color: var(--spark-muted); font-size: 0.8rem; }
    .body { padding: 12px 16px 16px; min-width: 0; }
    .error { color: var(--spark-err); background: color-mix(in srgb, var(--spark-err) 8%, transparent); border-radius: 8px; padding: 10px 12px; }
    .error b { display: block; margin-bottom: 4px; }
  `;

  protected override firstUpdated(): void {
    void this.mount();
  }

  private async mount() {
    try {
      await loadElement(this.tile);
      const el = document.createElement(this.tile.tag) as HTMLElement & { api?: unknown; pluginId?: string };
      el.api = createTileApi(this.tile.plugin);
      el.pluginId = this.tile.plugin;
      this.mounted = el;
      this.renderRoot.querySelector('#mount')?.replaceChildren(el);
      this.requestUpdate();
    } catch (e) {
      this.error = (e as Error).message || String(e);
    }
  }

  render() {
    return html`
      <header><h2>${this.tile.title}</h2><span class="plugin">${this.tile.plugin}</span></header>
      <div class="body"><div id="mount"></div>${this.error
        ? html`<div class="error" role="alert" data-testid="tile-error"><b>This tile could not be shown.</b>${this.error}</div>`
        : this.mounted ? nothing : html`<span class="plugin">Loading…</span>`}</div>
    `;
  }
}
customElements.define('spark-tile-frame', SparkTileFrame);
