import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';

interface Host {
  hostId: string; name: string; address: string; sshUser: string; sshPort: number; linkAddress?: string; reachable: boolean; since?: string; pending?: boolean; error?: string;
  gpu?: Array<{ name: string; utilizationPct: number | null; temperatureC: number | null; powerW: number | null }>;
  memory?: { usedMiB: number; totalMiB: number; source: string };
  cpu?: { load1: number; cores: number | null };
  disk?: { sizeKiB: number; usedKiB: number; availKiB: number; cacheKiB?: number };
  uptimeSeconds?: number | null;
  containers?: Array<{ name: string; image: string; status: string }>;
  vpn?: Array<{ ifname: string; address: string }>;
  hostKey: { fingerprint: string; mismatch?: { fingerprint: string } } | null;
}
interface Transition { hostId?: string; name: string; plugin: string; from: string; to: string; at: string; durationMs?: number; detail?: string }
interface HostForm { id: string; name: string; address: string; sshUser: string; sshPort: string; linkAddress: string }

const gib = (kib: number) => `${(kib / 1048576).toFixed(kib > 104857600 ? 0 : 1)} GiB`;
const ago = (iso?: string) => {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : s < 86400 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
};
const uptime = (s?: number | null) => (s == null ? '–' : s < 3600 ? `${Math.round(s / 60)} min` : s < 86400 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} d`);

/** One card per Spark: reachability, GPU, memory, CPU, disk, containers, VPN; SSH key install; Configure Sparks. */
export class ClusterTile extends LitElement {
  static properties = {
    api: { attribute: false }, hosts: { state: true }, simulated: { state: true }, transitions: { state: true }, key: { state: true },
    installing: { state: true }, messages: { state: true }, configuring: { state: true }, form: { state: true }, formErrors: { state: true }, formMessage: { state: true },
  };
  api?: SparkTileApi;
  hosts: Host[] = [];
  simulated = false;
  transitions: Transition[] = [];
  key?: { publicKey: string; manualCommand: string };
  installing = '';
  messages: Record<string, string> = {};
  configuring = false;
  form: HostForm[] = [];
  formErrors: Record<string, string> = {};
  formMessage = '';
  private offs: Array<() => void> = [];

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: var(--spark-gap, 12px); }
    .card { border: 1px solid var(--spark-border); border-radius: var(--spark-radius, 10px); padding: 12px; background: var(--spark-surface-2); min-width: 0; }
    .head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
    .name { font-weight: 700; }
    .dot { width: 10px; height: 10px; border-radius: 50%; background: var(--spark-err); flex: none; }
    .dot.up { background: var(--spark-ok); }
    .badge { font-size: 0.75rem; font-weight: 700; border-radius: 999px; padding: 1px 8px; border: 1px solid var(--spark-accent); color: var(--spark-accent); }
    .muted { color: var(--spark-muted); font-size: 0.85rem; }
    .err { color: var(--spark-err); font-size: 0.85rem; }
    .warn { color: var(--spark-warn); font-size: 0.85rem; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: 3px 10px; margin: 10px 0 6px; font-size: 0.88rem; }
    dt { color: var(--spark-muted); }
    dd { margin: 0; overflow-wrap: anywhere; }
    .bar { height: 6px; border-radius: 3px; background: var(--spark-border); overflow: hidden; margin-top: 2px; }
    .bar > span { display: block; height: 100%; background: var(--spark-accent); }
    button { font: inherit; font-size: 0.85rem; padding: 4px 10px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface); color: var(--spark-text); cursor: pointer; }
    input { font: inherit; font-size: 0.85rem; padding: 5px 8px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); min-width: 0; }
    .row { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin-top: 6px; }
    code, pre { font-family: var(--spark-mono); font-size: 0.75rem; overflow-wrap: anywhere; white-space: pre-wrap; }
    pre { background: var(--spark-bg); border: 1px solid var(--spark-border); border-radius: 8px; padding: 6px; margin: 4px 0; }
    h3 { font-size: 0.95rem; margin: 16px 0 6px; }
    .timeline { list-style: none; padding: 0; margin: 0; font-size: 0.82rem; max-height: 160px; overflow: auto; }
    .timeline li { padding: 2px 0; border-bottom: 1px dashed var(--spark-border); }
    .to-up { color: var(--spark-ok); } .to-down { color: var(--spark-err); } .to-degraded { color: var(--spark-warn); }
    .form { display: grid; gap: 8px; }
    .hostrow { display: grid; grid-template-columns: 1fr 1fr 1.3fr 1fr 0.7fr 1.2fr auto; gap: 6px; align-items: start; }
    .hostrow input { width: 100%; }
    .fielderr { color: var(--spark-err); font-size: 0.75rem; }
    @media (max-width: 720px) { .hostrow { grid-template-columns: 1fr 1fr; } }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    if (!this.api) return;
    this.offs.push(this.api.subscribe('cluster.host', (e) => {
      const snap = e.data as Host;
      this.hosts = this.hosts.map((h) => (h.hostId === snap.hostId ? { ...h, ...snap } : h));
    }));
    this.offs.push(this.api.subscribe('health.changed', () => void this.loadTimeline()));
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offs.forEach((f) => f());
  }

  private async load() {
    const r = await this.api!.json<{ hosts: Host[]; simulated: boolean }>('/hosts');
    this.hosts = r.hosts;
    this.simulated = r.simulated;
    this.key ??= await this.api!.json('/ssh-key');
    await this.loadTimeline();
  }

  private async loadTimeline() {
    const r = await this.api!.json<{ transitions: Transition[] }>('/connectivity?limit=30');
    this.transitions = r.transitions.slice().reverse();
  }

  private async installKey(h: Host, ev: Event) {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    this.installing = h.hostId;
    try {
      const r = await this.api!.json<{ message: string }>(`/hosts/${h.hostId}/install-key`, { method: 'POST', jsonBody: { password } });
      this.messages = { ...this.messages, [h.hostId]: r.message };
      form.reset();
    } catch (e) {
      this.messages = { ...this.messages, [h.hostId]: `Error: ${(e as Error).message}` };
    } finally {
      this.installing = '';
    }
  }

  private async act(path: string) {
    try { await this.api!.json(path, { method: 'POST' }); await this.load(); } catch (e) { this.messages = { ...this.messages, _: (e as Error).message }; }
  }

  private openConfig() {
    this.form = this.hosts.map((h) => ({ id: h.hostId, name: h.name, address: h.address, sshUser: h.sshUser, sshPort: String(h.sshPort), linkAddress: h.linkAddress ?? '' }));
    if (!this.form.length) this.form = [{ id: 'spark-1', name: 'Spark 1', address: '', sshUser: '', sshPort: '', linkAddress: '' }];
    this.formErrors = {};
    this.formMessage = this.simulated ? 'Saving real hosts leaves the simulated cluster.' : '';
    this.configuring = true;
  }

  private editHost(i: number, key: keyof HostForm, value: string) {
    this.form = this.form.map((h, j) => (j === i ? { ...h, [key]: value } : h));
  }

  private async saveConfig(ev: Event) {
    ev.preventDefault();
    try {
      const current = await this.api!.json<{ services: Record<string, unknown> }>('/api/config');
      await this.api!.json('/api/config/cluster', { method: 'PUT', jsonBody: { hosts: this.form, services: current.services } });
      this.configuring = false;
      await this.load();
    } catch (e) {
      this.formErrors = (e as { fields?: Record<string, string> }).fields ?? {};
      this.formMessage = Object.keys(this.formErrors).length ? 'Please fix the highlighted fields.' : (e as Error).message;
    }
  }

  private card(h: Host) {
    const g = h.gpu?.[0];
    const memPct = h.memory ? Math.round((h.memory.usedMiB / h.memory.totalMiB) * 100) : 0;
    return html`<div class="card" data-host=${h.hostId}>
      <div class="head">
        <span class="dot ${h.reachable ? 'up' : ''}"></span><span class="name">${h.name}</span>
        ${h.vpn?.map((v) => html`<span class="badge" title=${v.ifname}>VPN ${v.address}</span>`)}
      </div>
      <div class="muted" data-testid="reach">${h.pending ? 'checking…' : h.reachable ? `reachable for ${ago(h.since)}` : `unreachable for ${ago(h.since)}`} · ${h.sshUser}@${h.address}:${h.sshPort}${h.linkAddress ? ` · link ${h.linkAddress}` : ''}</div>
      ${h.error && !h.reachable ? html`<div class="err">${h.error}</div>` : nothing}
      ${h.hostKey?.mismatch ? html`<div class="warn">⚠ The host key changed (now ${h.hostKey.mismatch.fingerprint}). Commands to this Spark are blocked until you trust it.
        <div class="row"><button @click=${() => this.act(`/hosts/${h.hostId}/trust-host-key`)}>Trust new key</button></div></div>` : nothing}
      ${g || h.memory ? html`<dl>
        <dt>GPU</dt><dd>${g?.name ?? '–'}${g ? html` · ${g.utilizationPct ?? '–'}% · ${g.temperatureC ?? '–'} °C · ${g.powerW ?? '–'} W` : nothing}</dd>
        <dt>Memory</dt><dd>${h.memory ? html`${(h.memory.usedMiB / 1024).toFixed(1)} / ${(h.memory.totalMiB / 1024).toFixed(0)} GiB <span class="muted">(${h.memory.source})</span><div class="bar"><span style="width:${memPct}%"></span></div>` : '–'}</dd>
        <dt>CPU load</dt><dd>${h.cpu ? `${h.cpu.load1.toFixed(2)}${h.cpu.cores ? ` / ${h.cpu.cores} cores` : ''}` : '–'}</dd>
        <dt>Disk</dt><dd>${h.disk ? html`${gib(h.disk.availKiB)} free of ${gib(h.disk.sizeKiB)}${h.disk.cacheKiB !== undefined ? html` · models ${gib(h.disk.cacheKiB)}` : nothing}` : '–'}</dd>
        <dt>Uptime</dt><dd>${uptime(h.uptimeSeconds)}</dd>
        <dt>Containers</dt><dd>${h.containers?.length ? h.containers.map((c) => html`<div><code>${c.name}</code> <span class="muted">${c.status}</span></div>`) : html`<span class="muted">none running</span>`}</dd>
      </dl>` : nothing}
      <form class="row" @submit=${(e: Event) => this.installKey(h, e)}>
        <input name="password" type="password" autocomplete="off" placeholder="${h.sshUser}'s password" aria-label="Password for ${h.name}" required>
        <button ?disabled=${this.installing === h.hostId}>Install key</button>
      </form>
      ${this.messages[h.hostId] ? html`<div class="${this.messages[h.hostId].startsWith('Error') ? 'err' : 'muted'}">${this.messages[h.hostId]}</div>` : nothing}
      ${this.simulated ? html`<div class="row"><button data-testid="sim-toggle" @click=${() => this.act(`/sim/hosts/${h.hostId}/${h.reachable ? 'down' : 'up'}`)}>${h.reachable ? 'Simulate outage' : 'Bring back'}</button></div>` : nothing}
    </div>`;
  }

  private configForm() {
    const err = (i: number, f: string) => this.formErrors[`hosts.${i}.${f}`];
    return html`<form class="form" @submit=${this.saveConfig} novalidate>
      <h3>Configure Sparks</h3>
      ${this.form.map((h, i) => html`<div class="hostrow">
        ${(['id', 'name', 'address', 'sshUser', 'sshPort', 'linkAddress'] as const).map((f) => html`<div>
          <input aria-label=${f} title=${f === 'linkAddress' ? 'Address on the cable between the Sparks, for models that run across them (blank = address)' : ''} placeholder=${{ id: 'id (spark-1)', name: 'name', address: '<spark-ip>', sshUser: 'user (default spark)', sshPort: 'port (default 22)', linkAddress: 'link address (optional)' }[f]} .value=${h[f]}
            @input=${(e: Event) => this.editHost(i, f, (e.target as HTMLInputElement).value)}>
          ${err(i, f) ? html`<div class="fielderr" data-field=${`hosts.${i}.${f}`}>${err(i, f)}</div>` : nothing}</div>`)}
        <button type="button" @click=${() => { this.form = this.form.filter((_, j) => j !== i); }}>Remove</button>
      </div>`)}
      <div class="row">
        <button type="button" @click=${() => { this.form = [...this.form, { id: `spark-${this.form.length + 1}`, name: `Spark ${this.form.length + 1}`, address: '', sshUser: '', sshPort: '', linkAddress: '' }]; }}>Add a Spark</button>
        <button type="submit">Save</button><button type="button" @click=${() => { this.configuring = false; }}>Cancel</button>
      </div>
      ${this.formMessage ? html`<div class="muted">${this.formMessage}</div>` : nothing}
      ${this.formErrors[''] ? html`<div class="err">${this.formErrors['']}</div>` : nothing}
    </form>`;
  }

  render() {
    return html`
      <div class="cards">${this.hosts.map((h) => this.card(h))}</div>
      ${this.configuring ? this.configForm() : html`<div class="row"><button @click=${this.openConfig}>Configure Sparks</button></div>`}
      ${this.key ? html`<h3>This service's SSH key</h3><pre data-testid="pubkey">${this.key.publicKey}</pre>
        <details><summary class="muted">Or run this once on each Spark</summary><pre>${this.key.manualCommand}</pre></details>` : nothing}
      <h3>Connectivity</h3>
      ${this.transitions.length ? html`<ul class="timeline">${this.transitions.map((t) => html`<li>
        <span class="muted">${new Date(t.at).toLocaleString()}</span> · ${t.hostId ?? t.plugin} ${t.name.startsWith('host:') ? '' : `(${t.name})`}
        <span class="to-${t.to}">${t.from} → ${t.to}</span>${t.durationMs !== undefined && t.from !== 'unknown' ? html` <span class="muted">after ${ago(new Date(Date.now() - t.durationMs).toISOString())}</span>` : nothing}</li>`)}</ul>`
        : html`<p class="muted">No transitions yet.</p>`}
      ${this.messages._ ? html`<p class="err">${this.messages._}</p>` : nothing}
    `;
  }
}

if (!customElements.get('spark-cluster-tile')) customElements.define('spark-cluster-tile', ClusterTile);
