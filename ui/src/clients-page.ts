import { LitElement, css, html, nothing } from 'lit';
import { ApiError, apiJson } from './tile-api.js';
import './client-form.js';
import './usage-view.js';
import { LIMIT_TEXT, SCOPE_TEXT, type ClientBody, type ClientLimits, type ClientView, type ModelChoice } from './client-form.js';
import type { SparkUsageView } from './usage-view.js';

const WHEN = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });
const DAY = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });

/** "3 min ago", "yesterday"…, or the date for anything older than a week. */
function ago(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.round(s / 86_400)} days ago`;
  return DAY.format(new Date(iso));
}

function state(c: ClientView): { text: string; cls: string } {
  if (c.revokedAt) return { text: 'Revoked', cls: 'off' };
  if (!c.active) return { text: 'Expired', cls: 'off' };
  return { text: 'Active', cls: 'on' };
}

const LIMIT_SHORT: Record<keyof ClientLimits, (n: number) => string> = {
  concurrent: (n) => `${n} at once`,
  perMinute: (n) => `${n}/min`,
  tokensPerDay: (n) => `${n.toLocaleString('en')} tokens/day`,
};

/** The `openai` Python client, ready to paste with the new key; the address is a placeholder the hint explains. */
function openaiSnippet(key: string): string {
  return `from openai import OpenAI

client = OpenAI(base_url="http://<spark-control-url>/v1", api_key="${key}")
reply = client.chat.completions.create(
    model="<model>",
    messages=[{"role": "user", "content": "Hello"}],
)
print(reply.choices[0].message.content)`;
}

/** Copies text; on a plain-http LAN page navigator.clipboard does not exist, so fall back to a selected textarea. */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) { await navigator.clipboard.writeText(text); return true; }
  } catch { /* fall through */ }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

/**
 * Clients & usage: who may call this Spark Control with which key and scopes, their limits and models; the key of a
 * new client shown once; revoking with a confirmation; and below, what each client used by day.
 */
export class SparkClientsPage extends LitElement {
  static properties = {
    clients: { state: true }, error: { state: true }, editing: { state: true }, formErrors: { state: true }, busy: { state: true },
    created: { state: true }, confirming: { state: true }, copied: { state: true }, models: { state: true }, pluginNames: { state: true },
  };
  clients?: ClientView[];
  error = '';
  /** 'new', a client id being edited, or '' (no form open). */
  editing = '';
  formErrors: Record<string, string> = {};
  busy = false;
  /** The client just created and its key: shown until dismissed, never again. */
  created?: { client: ClientView; key: string };
  /** The id of the client whose revoke waits for a confirmation. */
  confirming = '';
  copied = '';
  models: ModelChoice[] = [];
  pluginNames: Record<string, string> = {};

  static styles = css`
    * { box-sizing: border-box; }
    :host { display: block; }
    h1 { font-size: 1.3rem; margin: 4px 0 6px; }
    .lead { color: var(--spark-muted); margin: 0 0 16px; max-width: 80ch; line-height: 1.45; }
    .card { background: var(--spark-surface); border: 1px solid var(--spark-border); border-radius: var(--spark-radius); padding: 16px; margin-bottom: 16px; box-shadow: var(--spark-shadow); min-width: 0; }
    .bar { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; justify-content: space-between; margin-bottom: 12px; }
    h2 { font-size: 1.05rem; margin: 0; }
    .muted { color: var(--spark-muted); }
    .err { color: var(--spark-err); }
    button { font: inherit; padding: 5px 12px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; }
    button.primary { border: 0; background: var(--spark-accent); color: var(--spark-accent-text); font-weight: 600; padding: 7px 14px; }
    button.danger { border-color: var(--spark-err); color: var(--spark-err); background: transparent; }
    button.danger.solid { background: var(--spark-err); color: #fff; }
    button:focus-visible { outline: 2px solid var(--spark-accent); outline-offset: 1px; }
    button:disabled { opacity: 0.5; cursor: default; }
    table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
    th, td { text-align: left; padding: 8px 6px; border-bottom: 1px solid var(--spark-border); vertical-align: top; }
    th { color: var(--spark-muted); font-weight: 600; }
    tr.gone td { color: var(--spark-muted); }
    .small { font-size: 0.8rem; color: var(--spark-muted); }
    .mono { font-family: var(--spark-mono); font-size: 0.85rem; }
    .pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 0.78rem; font-weight: 600; border: 1px solid var(--spark-border); margin: 0 4px 2px 0; white-space: nowrap; }
    .pill.admin { border-color: var(--spark-warn); }
    .state.on { color: var(--spark-ok); font-weight: 600; }
    .state.off { color: var(--spark-muted); font-weight: 600; }
    .actions { display: flex; gap: 6px; flex-wrap: wrap; justify-content: flex-end; }
    .confirm { display: grid; gap: 6px; justify-items: end; text-align: right; max-width: 34ch; margin-left: auto; }
    .key { border: 2px solid var(--spark-warn); }
    .key h2 { margin-bottom: 8px; }
    .keyline { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
    .keyline code { font-family: var(--spark-mono); font-size: 0.9rem; padding: 6px 8px; border-radius: 6px; background: var(--spark-surface-2); overflow-wrap: anywhere; word-break: break-all; flex: 1 1 260px; user-select: all; }
    .warn { margin: 0 0 8px; padding: 8px 10px; border-left: 3px solid var(--spark-warn); background: color-mix(in srgb, var(--spark-warn) 12%, transparent); border-radius: 4px; }
    pre { margin: 6px 0; padding: 10px; border-radius: 8px; background: var(--spark-surface-2); font: 0.82rem/1.45 var(--spark-mono); white-space: pre-wrap; overflow-wrap: anywhere; }
    .ok { color: var(--spark-ok); font-size: 0.85rem; }
    /* Phones: each client is a small card of "label value" lines, so nothing needs a sideways scroll. */
    @media (max-width: 720px) {
      table, tbody, tr, td { display: block; }
      thead { display: none; }
      tr { border-bottom: 1px solid var(--spark-border); padding: 8px 0; }
      td { border: 0; padding: 3px 0; display: grid; grid-template-columns: 8.5em 1fr; gap: 8px; }
      td::before { content: attr(data-label); color: var(--spark-muted); }
      td.name { display: block; font-size: 1rem; }
      td.name::before, td.act::before { content: none; }
      td.act { display: block; padding-top: 6px; }
      .actions { justify-content: flex-start; }
      .confirm { justify-items: start; text-align: left; margin-left: 0; }
    }
  `;

  connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    // Names for the usage lines and the catalog for the allow lists; neither is needed for the page to work.
    void apiJson<Array<{ id: string; name: string }>>('/api/plugins').then((rows) => { this.pluginNames = Object.fromEntries(rows.map((r) => [r.id, r.name])); }, () => {});
    void apiJson<{ models: Array<{ id: string; name?: string }> }>('/api/models').then((c) => { this.models = c.models.map((m) => ({ id: m.id, name: m.name ?? m.id })); }, () => {});
  }

  protected override updated(changed: Map<string, unknown>): void {
    // Keyboard users land on what just appeared: the confirmation's button, or the new key's copy button.
    if (changed.has('confirming') && this.confirming) (this.renderRoot.querySelector('[data-testid="confirm-revoke"]') as HTMLElement | null)?.focus();
    if (changed.has('created') && this.created) (this.renderRoot.querySelector('[data-testid="copy-key"]') as HTMLElement | null)?.focus();
  }

  private async load() {
    try {
      this.clients = (await apiJson<{ clients: ClientView[] }>('/api/clients')).clients;
      this.error = '';
    } catch (e) {
      this.error = `Could not read the clients: ${(e as Error).message}`;
    }
  }

  private open(id: string) {
    this.editing = id;
    this.formErrors = {};
    this.created = undefined;
    this.confirming = '';
  }

  private async save(body: ClientBody) {
    this.busy = true;
    try {
      if (this.editing === 'new') {
        this.created = await apiJson<{ client: ClientView; key: string }>('/api/clients', { method: 'POST', jsonBody: body });
        this.copied = '';
      } else {
        await apiJson<ClientView>(`/api/clients/${this.editing}`, { method: 'PATCH', jsonBody: body });
      }
      await this.load();
      this.editing = '';
      this.formErrors = {};
      await this.updateComplete;
      (this.renderRoot.querySelector(this.created ? '[data-testid="new-key"]' : 'h2') as HTMLElement | null)?.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      this.formErrors = e instanceof ApiError && Object.keys(e.fields).length ? e.fields : { '': (e as Error).message };
    } finally {
      this.busy = false;
    }
  }

  private async revoke(c: ClientView) {
    this.busy = true;
    try {
      await apiJson(`/api/clients/${c.id}`, { method: 'DELETE' });
      this.confirming = '';
      await this.load();
      void (this.renderRoot.querySelector('spark-usage-view') as SparkUsageView | null)?.load();
    } catch (e) {
      this.error = `Could not revoke ${c.name}: ${(e as Error).message}`;
    } finally {
      this.busy = false;
    }
  }

  private async copy(what: string, text: string) {
    this.copied = (await copyText(text)) ? what : `${what}-failed`;
  }

  private keyPanel() {
    const { client, key } = this.created!;
    const snippet = openaiSnippet(key);
    const copiedLine = (what: string) => (this.copied === what ? html`<span class="ok" role="status">Copied</span>`
      : this.copied === `${what}-failed` ? html`<span class="err" role="status">Copy did not work here: select the text and copy it by hand.</span>` : nothing);
    return html`<section class="card key" data-testid="new-key-panel" aria-labelledby="keyhead">
      <h2 id="keyhead">Key for ${client.name}</h2>
      <p class="warn" role="note"><b>Copy this key now: it will not be shown again.</b> Spark Control keeps only a fingerprint of it. If it is lost, create a new client and revoke this one.</p>
      <div class="keyline"><code data-testid="new-key">${key}</code>
        <button type="button" data-testid="copy-key" @click=${() => this.copy('key', key)}>Copy key</button>${copiedLine('key')}</div>
      <p class="small">Programs send it as <span class="mono">Authorization: Bearer &lt;key&gt;</span>; the official <span class="mono">openai</span> client does that by itself:</p>
      <pre data-testid="snippet">${snippet}</pre>
      <div class="keyline" style="margin-top:0"><button type="button" @click=${() => this.copy('snippet', snippet)}>Copy code</button>${copiedLine('snippet')}
        <span class="small">Replace <span class="mono">&lt;spark-control-url&gt;</span> with the address you open this dashboard at (host and port), and <span class="mono">&lt;model&gt;</span> with a model id.</span></div>
      <div class="actions" style="justify-content:flex-start;margin-top:8px"><button type="button" class="primary" @click=${() => { this.created = undefined; }}>I have copied the key</button></div>
    </section>`;
  }

  private row(c: ClientView) {
    const st = state(c);
    const limits = (Object.keys(LIMIT_SHORT) as Array<keyof ClientLimits>).filter((k) => c.limits[k] !== undefined);
    const lists = Object.entries(c.allow);
    const gone = !c.active;
    return html`<tr data-client=${c.id} data-name=${c.name} class=${gone ? 'gone' : ''}>
      <td class="name"><b>${c.name}</b><div class="small">created ${DAY.format(new Date(c.createdAt))}</div></td>
      <td data-label="May"><div>${c.scopes.map((s) => html`<span class="pill ${s}" title=${SCOPE_TEXT[s]?.help ?? ''}>${SCOPE_TEXT[s]?.label ?? s}</span>`)}</div></td>
      <td data-label="Key"><span class="mono">${c.keyPrefix}…</span></td>
      <td data-label="Last used" data-testid="last-used" title=${c.lastUsedAt ? WHEN.format(new Date(c.lastUsedAt)) : ''}>${c.lastUsedAt ? ago(c.lastUsedAt) : html`<span class="muted">never</span>`}</td>
      <td data-label="Expires">${c.expiresAt ? WHEN.format(new Date(c.expiresAt)) : html`<span class="muted">never</span>`}</td>
      <td data-label="State" data-testid="state"><div><span class="state ${st.cls}">${st.text}</span>${c.revokedAt ? html`<div class="small">${DAY.format(new Date(c.revokedAt))}</div>` : nothing}</div></td>
      <td data-label="Limits"><div>${limits.length || lists.length
        ? html`${limits.map((k) => html`<div title=${LIMIT_TEXT[k].label}>${LIMIT_SHORT[k](c.limits[k]!)}</div>`)}
            ${lists.map(([name, items]) => html`<div class="small">${name === 'models' ? 'models' : name === 'loadOnRequest' ? 'may load' : name}: ${items.length ? items.join(', ') : 'none'}</div>`)}`
        : html`<span class="muted">none</span>`}</div></td>
      <td data-label="Priority">${c.priority}</td>
      <td class="act">${this.confirming === c.id
        ? html`<div class="confirm" role="alertdialog" aria-label=${`Revoke ${c.name}`}><span>Revoke <b>${c.name}</b>? Its key stops working at once; its usage stays listed.</span>
            <span class="actions"><button type="button" class="danger solid" data-testid="confirm-revoke" ?disabled=${this.busy} @click=${() => this.revoke(c)}>Revoke key</button>
            <button type="button" @click=${() => { this.confirming = ''; }} @keydown=${(e: KeyboardEvent) => { if (e.key === 'Escape') this.confirming = ''; }}>Keep it</button></span></div>`
        : c.revokedAt ? nothing : html`<span class="actions">
            <button type="button" ?disabled=${this.busy} @click=${() => this.open(c.id)} aria-label=${`Edit ${c.name}`}>Edit</button>
            <button type="button" class="danger" ?disabled=${this.busy} aria-label=${`Revoke ${c.name}`} @click=${() => { this.confirming = c.id; }}>Revoke</button>
          </span>`}</td>
    </tr>`;
  }

  /** Revoked clients last (they stay listed so their usage keeps a name). */
  private list() {
    if (!this.clients) return this.error ? nothing : html`<p class="muted">Loading…</p>`;
    if (!this.clients.length) {
      return html`<p class="muted" data-testid="no-clients">No clients yet. Without keys every program is served as before and counted by the name it
        sends in an <span class="mono">X-Client-Name</span> header (or its address). Create a client to give a program its own key, scopes and limits.</p>`;
    }
    return html`<table data-testid="clients">
      <thead><tr><th>Name</th><th>May</th><th>Key</th><th>Last used</th><th>Expires</th><th>State</th><th>Limits</th><th>Priority</th><th></th></tr></thead>
      <tbody>${[...this.clients].sort((a, b) => Number(!!a.revokedAt) - Number(!!b.revokedAt)).map((c) => this.row(c))}</tbody>
    </table>`;
  }

  render() {
    const editingClient = this.editing && this.editing !== 'new' ? this.clients?.find((c) => c.id === this.editing) : undefined;
    return html`<h1>Clients &amp; usage</h1>
      <p class="lead">A client is a program that calls this Spark Control: give each its own key to see what it uses and to limit it.
        Requests without a key keep working and are counted by name.</p>
      ${this.created ? this.keyPanel() : nothing}
      ${this.editing ? html`<section class="card" data-testid="client-form">
          <h2 style="margin-bottom:12px">${editingClient ? `Edit ${editingClient.name}` : 'New client'}</h2>
          <spark-client-form .client=${editingClient} .models=${this.models} .errors=${this.formErrors} ?busy=${this.busy}
            @save-client=${(e: CustomEvent<ClientBody>) => this.save(e.detail)} @cancel=${() => { this.editing = ''; }}></spark-client-form>
        </section>` : nothing}
      <section class="card">
        <div class="bar"><h2>Clients</h2>${this.editing ? nothing : html`<button type="button" class="primary" @click=${() => this.open('new')}>+ New client</button>`}</div>
        ${this.error ? html`<p class="err" role="alert">${this.error}</p>` : nothing}
        ${this.list()}
      </section>
      <section class="card"><spark-usage-view .pluginNames=${this.pluginNames}></spark-usage-view></section>`;
  }
}

if (!customElements.get('spark-clients-page')) customElements.define('spark-clients-page', SparkClientsPage);
