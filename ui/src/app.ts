import { LitElement, css, html, nothing } from 'lit';
import { apiJson, events } from './tile-api.js';
import './tile-host.js';
import './schema-form.js';
import './pages.js';
import './history-chart.js';
import './log-viewer.js';
import './service-logs.js';
import './clients-page.js';
import './detail-page.js';
import { parseDetailRoute } from './detail-route.js';

interface Info { name: string; version: string; apiVersion: string; simulated: boolean; authEnabled: boolean; simulator?: SimulatorStatus }
/** The simulator process (npm start): while it is down or restarting, the simulated Sparks are unreachable. */
interface SimulatorStatus { state: 'running' | 'down' | 'starting'; lastExit?: string; restarts: number }
type Theme = 'auto' | 'light' | 'dark';

function applyTheme(t: Theme) {
  if (t === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
}

/** The dashboard shell: header, navigation (hash routes), theme, live-connection indicator. */
export class SparkApp extends LitElement {
  static properties = { info: { state: true }, route: { state: true }, live: { state: true }, theme: { state: true } };
  info?: Info;
  route = location.hash || '#/';
  live = false;
  theme: Theme = (localStorage.getItem('spark-theme') as Theme) || 'auto';

  static styles = css`
    :host { display: block; min-height: 100vh; }
    header { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; padding: 12px 20px; background: var(--spark-surface); border-bottom: 1px solid var(--spark-border); position: sticky; top: 0; z-index: 5; }
    .brand { font-weight: 750; font-size: 1.1rem; display: flex; align-items: center; gap: 8px; }
    .brand svg { width: 24px; height: 24px; }
    nav { display: flex; gap: 4px; }
    nav a { color: var(--spark-muted); text-decoration: none; padding: 6px 10px; border-radius: 8px; font-weight: 600; }
    nav a[aria-current="page"] { color: var(--spark-text); background: var(--spark-surface-2); }
    .spacer { flex: 1; }
    .sim { background: color-mix(in srgb, var(--spark-warn) 16%, transparent); color: var(--spark-text); border: 1px solid var(--spark-warn); border-radius: 999px; padding: 3px 10px; font-size: 0.8rem; font-weight: 600; }
    .sim.down { border-color: var(--spark-err); background: color-mix(in srgb, var(--spark-err) 16%, transparent); }
    .live { font-size: 0.8rem; color: var(--spark-muted); display: flex; align-items: center; gap: 6px; }
    .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--spark-err); }
    .dot.on { background: var(--spark-ok); }
    select { font: inherit; font-size: 0.85rem; padding: 4px 6px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface); color: var(--spark-text); }
    main { padding: 20px; max-width: 1600px; margin: 0 auto; }
    @media (max-width: 720px) { header { padding: 10px 12px; gap: 8px; } main { padding: 12px; } }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    applyTheme(this.theme);
    window.addEventListener('hashchange', () => { this.route = location.hash || '#/'; });
    events.onStatus = (on) => { this.live = on; };
    events.subscribe('hello', () => { this.live = true; });
    events.subscribe('sim.state', (e) => { if (this.info) this.info = { ...this.info, simulator: e.data as SimulatorStatus }; });
    apiJson<Info>('/api/info').then((i) => { this.info = i; }, () => {});
  }

  private setTheme(t: Theme) {
    this.theme = t;
    localStorage.setItem('spark-theme', t);
    applyTheme(t);
  }

  private page() {
    if (this.route.startsWith('#/plugins')) return html`<spark-plugins-page></spark-plugins-page>`;
    if (this.route.startsWith('#/clients')) return html`<spark-clients-page></spark-clients-page>`;
    if (this.route.startsWith('#/settings')) return html`<spark-settings-page></spark-settings-page>`;
    // Any other `#/<kind>/<value>` is a full page of a kind some plugin registered (the page says when none did).
    if (parseDetailRoute(this.route)) return html`<spark-detail-page .route=${this.route}></spark-detail-page>`;
    return html`<spark-dashboard></spark-dashboard>`;
  }

  render() {
    const cur = (r: string) => ((r === '#/' ? this.route === '#/' || this.route === '' : this.route.startsWith(r)) ? 'page' : 'false');
    return html`
      <header>
        <span class="brand"><svg viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" fill="var(--spark-accent)"/><path d="M18 3 7 18h7l-2 11 11-15h-7z" fill="#fff"/></svg>Spark Control</span>
        <nav>
          <a href="#/" aria-current=${cur('#/')}>Dashboard</a>
          <a href="#/plugins" aria-current=${cur('#/plugins')}>Plugins</a>
          <a href="#/clients" aria-current=${cur('#/clients')}>Clients</a>
          <a href="#/settings" aria-current=${cur('#/settings')}>Settings</a>
        </nav>
        ${this.info?.simulated ? html`<span class="sim" title="No Sparks configured: everything runs against a simulated cluster">Simulated cluster</span>` : nothing}
        ${this.info?.simulated && this.info.simulator && this.info.simulator.state !== 'running' ? html`<span class="sim down" role="status" data-testid="sim-down" title=${`The simulator process ended (${this.info.simulator.lastExit ?? 'unknown'}); it is restarted automatically`}>Simulator ${this.info.simulator.state === 'down' ? 'down' : 'restarting'}: Sparks unreachable</span>` : nothing}
        <span class="spacer"></span>
        <span class="live"><span class="dot ${this.live ? 'on' : ''}"></span>${this.live ? 'live' : 'offline'}</span>
        <select aria-label="Theme" @change=${(e: Event) => this.setTheme((e.target as HTMLSelectElement).value as Theme)}>
          ${(['auto', 'light', 'dark'] as const).map((t) => html`<option value=${t} ?selected=${this.theme === t}>${t === 'auto' ? 'Auto theme' : t === 'light' ? 'Light' : 'Dark'}</option>`)}
        </select>
      </header>
      <main>${this.page()}</main>
    `;
  }
}
customElements.define('spark-app', SparkApp);
