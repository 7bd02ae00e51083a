import { LitElement, css, html, nothing } from 'lit';
import type { SparkTileApi } from '@spark-control/plugin-api';
import './sparkContainers.js';

interface Host {
  hostId: string; name: string; address: string; sshUser: string; sshPort: number; linkAddress?: string; reachable: boolean; since?: string; polledAt?: string; pending?: boolean; error?: string;
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

/** Where each service runs unless Configure Sparks says otherwise (the kernel's default topology, SPEC.md). */
/** `memory`: the service keeps a fixed share of its Spark (models sharing it leave it that); vLLM's own is its budget. */
const SERVICES: Array<{ name: string; label: string; hostId: string; port: number; memory: boolean }> = [
  { name: 'vllm', label: 'LLM (vLLM)', hostId: 'spark-1', port: 8888, memory: false },
  { name: 'parakeet', label: 'Transcription (Parakeet)', hostId: 'spark-2', port: 8000, memory: true },
  { name: 'kokoro', label: 'Voice (Kokoro)', hostId: 'spark-2', port: 8880, memory: true },
  { name: 'embeddings', label: 'Embeddings (bge-m3)', hostId: 'spark-2', port: 8088, memory: true },
  { name: 'qdrant', label: 'Vector store (Qdrant)', hostId: 'spark-2', port: 6333, memory: true },
];
const HOST_FIELDS: Array<{ key: keyof HostForm; label: string; placeholder: string; hint?: string }> = [
  { key: 'id', label: 'Id', placeholder: 'spark-1' },
  { key: 'name', label: 'Name', placeholder: 'Spark 1' },
  { key: 'address', label: 'Address', placeholder: '<spark-1-ip>' },
  { key: 'sshUser', label: 'SSH user', placeholder: 'spark' },
  { key: 'sshPort', label: 'SSH port', placeholder: '22' },
  { key: 'linkAddress', label: 'Link address', placeholder: 'blank = Address', hint: 'Address on the cable between the Sparks, for models that run across them' },
];
interface Placement { hostId: string; port: string; memoryGB: string }

const gib = (kib: number) => `${(kib / 1048576).toFixed(kib > 104857600 ? 0 : 1)} GiB`;
/** "45 s", "12 min", "2 h 27 min", "3 d 4 h": two units at most, as a person reads a clock. */
const human = (sec: number) => {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ''}`;
};
const ago = (iso?: string) => (iso ? human((Date.now() - Date.parse(iso)) / 1000) : '');
const uptime = (s?: number | null) => (s == null ? '–' : human(s));
/** docker's "Up 10116 seconds" / "Up 3 minutes" as "up 2 h 48 min". */
const containerStatus = (st: string) => {
  const m = /^Up (\d+) seconds?(.*)$/.exec(st);
  return m ? `up ${human(Number(m[1]))}${m[2]}` : st;
};

/** One card per Spark: reachability, GPU, memory, CPU, disk, containers, VPN; SSH key install; Configure Sparks. */
export class ClusterTile extends LitElement {
  static properties = {
    api: { attribute: false }, hosts: { state: true }, simulated: { state: true }, transitions: { state: true }, key: { state: true },
    installing: { state: true }, messages: { state: true }, configuring: { state: true }, form: { state: true }, formErrors: { state: true }, formMessage: { state: true },
    placement: { state: true }, tick: { state: true },
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
  /** Configure Sparks' "which service runs where": service → host id and port ('' = the default). */
  placement: Record<string, Placement> = {};
  /** Re-render every few seconds so "for 3 min" and "stale for" keep counting. */
  tick = 0;
  private timer?: ReturnType<typeof setInterval>;
  private offs: Array<() => void> = [];

  static styles = css`
    :host { display: block; font-family: var(--spark-font); color: var(--spark-text); }
    *, *::before, *::after { box-sizing: border-box; }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: var(--spark-gap, 12px); }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: var(--spark-gap, 12px); margin-top: var(--spark-gap, 12px); }
    .card { border: 1px solid var(--spark-border); border-radius: var(--spark-radius, 10px); padding: 12px; background: var(--spark-surface-2); min-width: 0; }
    .head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
    .name { font-weight: 700; color: inherit; }
    a.name { text-decoration: underline; text-decoration-color: var(--spark-border); text-underline-offset: 3px; }
    a.name:hover { color: var(--spark-accent); }
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
    .hostset { border: 1px solid var(--spark-border); border-radius: var(--spark-radius, 10px); padding: 8px 12px 10px; margin: 0; min-width: 0; }
    .hostset legend { font-weight: 650; font-size: 0.88rem; padding: 0 4px; }
    .hostgrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px 10px; }
    .field { display: grid; gap: 2px; align-content: start; min-width: 0; }
    .field label, .place label { font-size: 0.78rem; font-weight: 600; color: var(--spark-muted); }
    .field input { width: 100%; }
    .hint { color: var(--spark-muted); font-size: 0.72rem; }
    .placegrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 260px), 1fr)); gap: 8px 12px; }
    .place { display: grid; grid-template-columns: 1fr 92px 52px; gap: 2px 6px; align-items: center; min-width: 0; }
    .place .fielderr { grid-column: 1 / -1; }
    .place label:first-child { grid-column: 1 / -1; }
    .place select { font: inherit; font-size: 0.85rem; padding: 5px 6px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); min-width: 0; }
    .place input.port { width: 100%; }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    .fielderr { color: var(--spark-err); font-size: 0.75rem; }
    button.primary { background: var(--spark-accent); color: var(--spark-accent-text, #fff); border-color: var(--spark-accent); }
    .stale { color: var(--spark-warn); font-size: 0.82rem; font-weight: 600; margin-top: 6px; }
    dl.old { opacity: 0.55; }
    @media (max-width: 720px) { .timeline { max-height: none; } }
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
    this.timer = setInterval(() => { this.tick++; }, 5000);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offs.forEach((f) => f());
    clearInterval(this.timer);
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

  private async openConfig() {
    try {
      const cfg = await this.api!.json<{ services: Record<string, { hostId: string; port?: number; memoryGB?: number }> }>('/api/config');
      this.placement = Object.fromEntries(SERVICES.map((x) => { const c = cfg.services[x.name]; return [x.name, { hostId: c?.hostId ?? '', port: c?.port ? String(c.port) : '', memoryGB: c?.memoryGB !== undefined ? String(c.memoryGB) : '' }]; }));
    } catch { this.placement = {}; /* unknown: Save keeps the stored placement as it is */ }
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
      // Services this form does not show (a third-party plugin's) are kept as stored; a shown one set to
      // "default" with no port is removed, so the default topology applies.
      const current = await this.api!.json<{ services: Record<string, unknown> }>('/api/config');
      const services: Record<string, unknown> = { ...current.services };
      for (const [name, p] of Object.entries(this.placement)) {
        if (p.hostId || p.port || p.memoryGB) services[name] = { hostId: p.hostId || SERVICES.find((x) => x.name === name)!.hostId, ...(p.port ? { port: p.port } : {}), ...(p.memoryGB ? { memoryGB: p.memoryGB } : {}) };
        else delete services[name];
      }
      await this.api!.json('/api/config/cluster', { method: 'PUT', jsonBody: { hosts: this.form, services } });
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
    const stale = !h.reachable && !h.pending;
    return html`<div class="card" data-host=${h.hostId}>
      <div class="head">
        <span class="dot ${h.reachable ? 'up' : ''}"></span><a class="name" href=${`#/spark/${encodeURIComponent(h.hostId)}`} title="This Spark's full page: its history over a day, a week, a month" data-testid="spark-page">${h.name}</a>
        ${h.vpn?.map((v) => html`<span class="badge" title=${v.ifname}>VPN ${v.address}</span>`)}
      </div>
      <div class="muted" data-testid="reach">${h.pending ? 'checking…' : h.reachable ? `reachable for ${ago(h.since)}` : `unreachable for ${ago(h.since)}`} · ${h.sshUser}@${h.address}:${h.sshPort}${h.linkAddress ? ` · link ${h.linkAddress}` : ''}</div>
      ${h.error && !h.reachable ? html`<div class="err">${h.error}</div>` : nothing}
      ${h.hostKey?.mismatch ? html`<div class="warn">⚠ The host key changed (now ${h.hostKey.mismatch.fingerprint}). Commands to this Spark are blocked until you trust it.
        <div class="row"><button @click=${() => this.act(`/hosts/${h.hostId}/trust-host-key`)}>Trust new key</button></div></div>` : nothing}
      ${stale && (g || h.memory) ? html`<div class="stale" data-testid="stale">Stale: last figures from ${h.polledAt ? `${ago(h.polledAt)} ago` : 'before it went away'}</div>` : nothing}
      ${g || h.memory ? html`<dl class=${stale ? 'old' : ''}>
        <dt>GPU</dt><dd>${g?.name ?? '–'}${g ? html` · ${g.utilizationPct ?? '–'}% · ${g.temperatureC ?? '–'} °C · ${g.powerW ?? '–'} W` : nothing}</dd>
        <dt>Memory</dt><dd>${h.memory ? html`${(h.memory.usedMiB / 1024).toFixed(1)} / ${(h.memory.totalMiB / 1024).toFixed(0)} GiB <span class="muted">(${h.memory.source})</span><div class="bar"><span style="width:${memPct}%"></span></div>` : '–'}</dd>
        <dt>CPU load</dt><dd>${h.cpu ? `${h.cpu.load1.toFixed(2)}${h.cpu.cores ? ` / ${h.cpu.cores} cores` : ''}` : '–'}</dd>
        <dt>Disk</dt><dd>${h.disk ? html`${gib(h.disk.availKiB)} free of ${gib(h.disk.sizeKiB)}${h.disk.cacheKiB !== undefined ? html` · models ${gib(h.disk.cacheKiB)}` : nothing}` : '–'}</dd>
        <dt>Uptime</dt><dd>${uptime(h.uptimeSeconds)}</dd>
        <dt>Containers</dt><dd>${h.containers?.length ? h.containers.map((c) => html`<div><code>${c.name}</code> <span class="muted">${containerStatus(c.status)}</span></div>`) : html`<span class="muted">none running</span>`}</dd>
      </dl>` : nothing}
      <form class="row" @submit=${(e: Event) => this.installKey(h, e)}>
        <input name="password" type="password" autocomplete="off" placeholder="${h.sshUser}'s password" aria-label="Password for ${h.name}" required>
        <button ?disabled=${this.installing === h.hostId} title=${this.installing === h.hostId ? 'Installing…' : 'Log in once with this password and add this service\'s key'}>${this.installing === h.hostId ? 'Installing…' : 'Install key'}</button>
      </form>
      ${this.simulated ? html`<div class="muted" data-testid="demo-password">Simulated Sparks accept the password <code>spark-demo</code>.</div>` : nothing}
      ${this.messages[h.hostId] ? html`<div class="${this.messages[h.hostId].startsWith('Error') ? 'err' : 'muted'}">${this.messages[h.hostId]}</div>` : nothing}
      ${this.simulated ? html`<div class="row"><button data-testid="sim-toggle" @click=${() => this.act(`/sim/hosts/${h.hostId}/${h.reachable ? 'down' : 'up'}`)}>${h.reachable ? 'Simulate outage' : 'Bring back'}</button></div>` : nothing}
    </div>`;
  }

  private configForm() {
    const err = (i: number, f: string) => this.formErrors[`hosts.${i}.${f}`];
    const ids = this.form.map((h) => h.id.trim()).filter(Boolean);
    return html`<form class="form" @submit=${this.saveConfig} novalidate data-testid="configure">
      <h3>Configure Sparks</h3>
      ${this.form.map((h, i) => html`<fieldset class="hostset" data-index=${i}>
        <legend>${h.name || h.id || `Spark ${i + 1}`}</legend>
        <div class="hostgrid">${HOST_FIELDS.map((f) => html`<div class="field">
          <label for=${`host-${i}-${f.key}`}>${f.label}</label>
          <input id=${`host-${i}-${f.key}`} placeholder=${f.placeholder} title=${f.hint ?? ''} .value=${h[f.key]} inputmode=${f.key === 'sshPort' ? 'numeric' : 'text'}
            @input=${(e: Event) => this.editHost(i, f.key, (e.target as HTMLInputElement).value)}>
          ${f.hint ? html`<span class="hint">${f.hint}</span>` : nothing}
          ${err(i, f.key) ? html`<div class="fielderr" data-field=${`hosts.${i}.${f.key}`}>${err(i, f.key)}</div>` : nothing}</div>`)}</div>
        <div class="row"><button type="button" @click=${() => { this.form = this.form.filter((_, j) => j !== i); }}>Remove ${h.name || 'this Spark'}</button></div>
      </fieldset>`)}
      <div class="row"><button type="button" @click=${() => { this.form = [...this.form, { id: `spark-${this.form.length + 1}`, name: `Spark ${this.form.length + 1}`, address: '', sshUser: '', sshPort: '', linkAddress: '' }]; }}>Add a Spark</button></div>
      <fieldset class="hostset" data-testid="placement"><legend>Which service runs where</legend>
        <div class="placegrid">${SERVICES.map((svc) => {
          const p = this.placement[svc.name] ?? { hostId: '', port: '', memoryGB: '' };
          const set = (next: Partial<Placement>) => { this.placement = { ...this.placement, [svc.name]: { ...p, ...next } }; };
          const e = this.formErrors[`services.${svc.name}.hostId`] ?? this.formErrors[`services.${svc.name}.port`] ?? this.formErrors[`services.${svc.name}.memoryGB`];
          return html`<div class="place" data-service=${svc.name}>
            <label for=${`svc-${svc.name}`}>${svc.label}</label>
            <select id=${`svc-${svc.name}`} @change=${(ev: Event) => set({ hostId: (ev.target as HTMLSelectElement).value })}>
              <option value="" ?selected=${!p.hostId}>default (${svc.hostId})</option>
              ${[...new Set([...ids, ...(p.hostId ? [p.hostId] : [])])].map((id) => html`<option value=${id} ?selected=${p.hostId === id}>${id}</option>`)}
            </select>
            <label class="sr" for=${`svc-${svc.name}-port`}>${svc.label} port</label>
            <input id=${`svc-${svc.name}-port`} class="port" inputmode="numeric" placeholder=${`port ${svc.port}`} aria-label=${`${svc.label} port`} .value=${p.port} @input=${(ev: Event) => set({ port: (ev.target as HTMLInputElement).value })}>
            ${svc.memory ? html`<label class="sr" for=${`svc-${svc.name}-mem`}>${svc.label} memory in GB</label><input id=${`svc-${svc.name}-mem`} class="port" data-testid="memory-gb" inputmode="decimal" placeholder="GB" title="Memory it keeps on its Spark, in GB (blank: what its plugin declares); models sharing a Spark leave it this much" aria-label=${`${svc.label} memory in GB`} .value=${p.memoryGB} @input=${(ev: Event) => set({ memoryGB: (ev.target as HTMLInputElement).value })}>` : nothing}
            ${e ? html`<div class="fielderr">${e}</div>` : nothing}
          </div>`;
        })}</div>
      </fieldset>
      <div class="row">
        <button type="submit" class="primary">Save</button><button type="button" @click=${() => { this.configuring = false; }}>Cancel</button>
      </div>
      ${this.formMessage ? html`<div class="muted">${this.formMessage}</div>` : nothing}
      ${this.formErrors[''] ? html`<div class="err">${this.formErrors['']}</div>` : nothing}
    </form>`;
  }

  render() {
    return html`
      <div class="cards">${this.hosts.map((h) => this.card(h))}</div>
      <div class="charts" data-testid="cluster-charts">
        <spark-history-chart series="cluster.gpu_util" label="GPU use" marks="vllm"></spark-history-chart>
        <spark-history-chart series="cluster.memory_used" label="Memory in use" marks="vllm"></spark-history-chart>
      </div>
      ${this.configuring ? this.configForm() : html`<div class="row"><button @click=${this.openConfig}>Configure Sparks</button></div>`}
      ${this.key ? html`<h3>This service's SSH key</h3><pre data-testid="pubkey">${this.key.publicKey}</pre>
        <details><summary class="muted">Or run this once on each Spark</summary><pre>${this.key.manualCommand}</pre></details>` : nothing}
      <h3>Connectivity</h3>
      ${this.transitions.length ? html`<ul class="timeline">${this.transitions.map((t) => html`<li>
        <span class="muted">${new Date(t.at).toLocaleString()}</span> · ${t.hostId ?? t.plugin} ${t.name.startsWith('host:') ? '' : `(${t.name})`}
        <span class="to-${t.to}">${t.from} → ${t.to}</span>${t.durationMs !== undefined && t.from !== 'unknown' ? html` <span class="muted">after ${human(t.durationMs / 1000)}</span>` : nothing}</li>`)}</ul>`
        : html`<p class="muted">No transitions yet.</p>`}
      ${this.messages._ ? html`<p class="err">${this.messages._}</p>` : nothing}
    `;
  }
}

if (!customElements.get('spark-cluster-tile')) customElements.define('spark-cluster-tile', ClusterTile);
