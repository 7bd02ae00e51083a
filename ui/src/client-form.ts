import { LitElement, css, html, nothing } from 'lit';
import type { ClientScope } from '../../core/src/api/types.js';
import type { ClientLimits, ClientView } from '../../core/src/services/clients/ClientRegistry.js';

export type { ClientLimits, ClientScope, ClientView };

/** The body of POST /api/clients (and PATCH: the same fields). */
export interface ClientBody { name: string; scopes: ClientScope[]; priority: number; limits: ClientLimits; allow: Record<string, string[]>; expiresAt: string | null }
/** A model the allow lists can name (the vLLM catalog), by its catalog id. */
export interface ModelChoice { id: string; name: string }

export const SCOPE_TEXT: Record<ClientScope, { label: string; help: string }> = {
  inference: { label: 'Use models and services', help: 'Chat and completions (/v1/…), speech, embeddings, search and redaction. What most programs need.' },
  read: { label: 'Read only', help: 'Any GET: status, model lists, usage. It cannot change or start anything.' },
  admin: { label: 'Administer', help: 'Everything, including settings, model swaps and these clients. Only for programs you trust fully.' },
};
const SCOPES: ClientScope[] = ['inference', 'read', 'admin'];

export const LIMIT_TEXT: Record<keyof ClientLimits, { label: string; help: string }> = {
  concurrent: { label: 'Requests at once', help: 'More at the same time are turned away until one finishes.' },
  perMinute: { label: 'Requests per minute', help: 'Counted over any 60 seconds.' },
  tokensPerDay: { label: 'Tokens per day', help: 'Prompt + completion tokens; the count starts again at midnight UTC.' },
};
const LIMITS = Object.keys(LIMIT_TEXT) as Array<keyof ClientLimits>;

/** The model allow lists this form edits: the list name the API knows, and what it means. */
const MODEL_LISTS = [
  { list: 'models', label: 'Models it may use', any: 'Any model', only: 'Only the models ticked' },
  { list: 'loadOnRequest', label: 'Models it may load on request', any: 'Any model that loads on request', only: 'Only the models ticked' },
] as const;

/** `YYYY-MM-DD` (the user's day) of an ISO time, for the date input. */
function localDay(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The end of a day the user picked (their time zone), as ISO: a key "until 30 June" works all of 30 June. */
function endOfLocalDay(day: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59).toISOString();
}

/**
 * Create or edit one client. Emits `save-client` with a ClientBody and `cancel`. `errors` (field → message, as the
 * server's 400 names them: `name`, `scopes.0`, `limits.perMinute`, `allow.models.2`…) show under the field they name;
 * the form does not validate by itself, so what the server says is what the user sees.
 */
export class SparkClientForm extends LitElement {
  static properties = { client: { attribute: false }, models: { attribute: false }, errors: { attribute: false }, busy: { type: Boolean }, value: { state: true } };
  /** The client being edited; undefined when creating one. */
  client?: ClientView;
  models: ModelChoice[] = [];
  errors: Record<string, string> = {};
  busy = false;
  value: { name: string; scopes: ClientScope[]; priority: string; limits: Record<string, string>; restrict: Record<string, boolean>; allow: Record<string, string[]>; extra: Record<string, string>; expires: string } = {
    name: '', scopes: ['inference'], priority: '0', limits: {}, restrict: {}, allow: {}, extra: {}, expires: '',
  };

  static styles = css`
    * { box-sizing: border-box; }
    form { display: grid; gap: 16px; }
    .field { display: grid; gap: 4px; }
    label, legend { font-weight: 600; font-size: 0.9rem; }
    .hint { color: var(--spark-muted); font-size: 0.82rem; font-weight: 400; }
    input[type=text], input[type=number], input[type=date] { font: inherit; padding: 8px 10px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); width: 100%; max-width: 420px; }
    input:focus-visible, button:focus-visible { outline: 2px solid var(--spark-accent); outline-offset: 1px; }
    .invalid > input, .invalid input[type=number], fieldset.invalid { border-color: var(--spark-err); }
    .err { color: var(--spark-err); font-size: 0.85rem; font-weight: 400; }
    fieldset { border: 1px solid var(--spark-border); border-radius: 8px; padding: 10px 14px; margin: 0; display: grid; gap: 10px; min-width: 0; }
    legend { padding: 0 4px; }
    .check { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; align-items: start; font-weight: 600; font-size: 0.9rem; }
    .check input { margin: 3px 0 0; width: 16px; height: 16px; }
    .check .hint { grid-column: 2; }
    .limits { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; }
    .models { display: flex; flex-wrap: wrap; gap: 6px 16px; padding-left: 24px; }
    .models label { font-weight: 400; display: inline-flex; gap: 6px; align-items: center; }
    .radio { display: flex; flex-wrap: wrap; gap: 6px 16px; }
    .radio label { font-weight: 400; display: inline-flex; gap: 6px; align-items: center; }
    .actions { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
    button { font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-surface-2); color: var(--spark-text); cursor: pointer; }
    button.primary { border: 0; background: var(--spark-accent); color: var(--spark-accent-text); }
    button[disabled] { opacity: 0.6; }
  `;

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (!changed.has('client')) return;
    const c = this.client;
    if (!c) return;
    this.value = {
      name: c.name, scopes: [...c.scopes], priority: String(c.priority),
      limits: Object.fromEntries(LIMITS.filter((k) => c.limits[k] !== undefined).map((k) => [k, String(c.limits[k])])),
      restrict: Object.fromEntries(MODEL_LISTS.map((m) => [m.list, Array.isArray(c.allow[m.list])])),
      allow: Object.fromEntries(MODEL_LISTS.map((m) => [m.list, [...(c.allow[m.list] ?? [])]])),
      extra: {},
      expires: localDay(c.expiresAt),
    };
  }

  protected override firstUpdated(): void {
    (this.renderRoot.querySelector('#name') as HTMLInputElement | null)?.focus();
  }

  private patch(p: Partial<SparkClientForm['value']>) {
    this.value = { ...this.value, ...p };
  }

  /** The message for a field or anything under it (`scopes.0` shows at `scopes`). */
  private err(field: string): string | undefined {
    if (this.errors[field]) return this.errors[field];
    const sub = Object.entries(this.errors).find(([k]) => k.startsWith(`${field}.`));
    return sub?.[1];
  }

  private errLine(field: string) {
    const e = this.err(field);
    return e ? html`<span class="err" data-field=${field} id=${`err-${field}`}>${e}</span>` : nothing;
  }

  /** Errors the form has no field for (or without a field at all) show above the buttons. */
  private generalErrors(): string[] {
    const known = ['name', 'scopes', 'priority', 'expiresAt', 'limits', 'allow'];
    return Object.entries(this.errors).filter(([k]) => !known.some((f) => k === f || k.startsWith(`${f}.`))).map(([k, m]) => (k ? `${k}: ${m}` : m));
  }

  private body(): ClientBody {
    const v = this.value;
    const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? undefined : Number(s));
    const limits: ClientLimits = {};
    for (const k of LIMITS) { const n = num(v.limits[k]); if (n !== undefined) limits[k] = n; }
    const allow: Record<string, string[]> = {};
    // Allow lists the form does not edit are kept as they were.
    for (const [k, list] of Object.entries(this.client?.allow ?? {})) if (!MODEL_LISTS.some((m) => m.list === k)) allow[k] = list;
    for (const m of MODEL_LISTS) {
      if (!v.restrict[m.list]) continue;
      const extra = (v.extra[m.list] ?? '').split(/[\s,]+/).filter(Boolean);
      allow[m.list] = [...new Set([...(v.allow[m.list] ?? []), ...extra])];
    }
    return { name: v.name, scopes: v.scopes, priority: num(v.priority) ?? 0, limits, allow, expiresAt: v.expires ? endOfLocalDay(v.expires) : null };
  }

  private submit(e: Event) {
    e.preventDefault();
    this.dispatchEvent(new CustomEvent('save-client', { detail: this.body(), bubbles: true, composed: true }));
  }

  private toggleScope(s: ClientScope, on: boolean) {
    this.patch({ scopes: on ? [...new Set([...this.value.scopes, s])] : this.value.scopes.filter((x) => x !== s) });
  }

  private modelList(m: (typeof MODEL_LISTS)[number]) {
    const v = this.value;
    const restricted = !!v.restrict[m.list];
    const ticked = v.allow[m.list] ?? [];
    // Ids already in the list but not in the catalog (a model removed since) stay visible, so saving keeps them.
    const choices = [...this.models, ...ticked.filter((id) => !this.models.some((x) => x.id === id)).map((id) => ({ id, name: id }))];
    const tick = (id: string, on: boolean) => this.patch({ allow: { ...v.allow, [m.list]: on ? [...new Set([...ticked, id])] : ticked.filter((x) => x !== id) } });
    const field = `allow.${m.list}`;
    return html`<div class="field" data-list=${m.list}>
      <span class="radio" role="radiogroup" aria-label=${m.label}>
        <b style="font-size:0.9rem;margin-right:4px">${m.label}:</b>
        <label><input type="radio" name=${`r-${m.list}`} .checked=${!restricted} @change=${() => this.patch({ restrict: { ...v.restrict, [m.list]: false } })}>${m.any}</label>
        <label><input type="radio" name=${`r-${m.list}`} data-testid=${`restrict-${m.list}`} .checked=${restricted} @change=${() => this.patch({ restrict: { ...v.restrict, [m.list]: true } })}>${m.only}</label>
      </span>
      ${restricted ? html`<div class="models">
          ${choices.map((c) => html`<label><input type="checkbox" data-model=${c.id} .checked=${ticked.includes(c.id)} @change=${(e: Event) => tick(c.id, (e.target as HTMLInputElement).checked)}>${c.name}${c.name !== c.id ? html` <span class="hint">${c.id}</span>` : nothing}</label>`)}
        </div>
        <label class="hint" style="padding-left:24px">${choices.length ? 'Other model ids' : 'Model ids'} (comma-separated)
          <input type="text" id=${`extra-${m.list}`} autocomplete="off" .value=${v.extra[m.list] ?? ''} @input=${(e: Event) => this.patch({ extra: { ...v.extra, [m.list]: (e.target as HTMLInputElement).value } })}></label>`
        : nothing}
      ${this.errLine(field)}
    </div>`;
  }

  render() {
    const v = this.value;
    const editing = !!this.client;
    const general = this.generalErrors();
    return html`<form @submit=${this.submit} novalidate>
      <div class="field ${this.err('name') ? 'invalid' : ''}">
        <label for="name">Name</label>
        <input id="name" type="text" autocomplete="off" placeholder="e.g. transcription app" aria-describedby="err-name" .value=${v.name} @input=${(e: Event) => this.patch({ name: (e.target as HTMLInputElement).value })}>
        <span class="hint">Shown in the usage table; one name per active client.</span>
        ${this.errLine('name')}
      </div>

      <fieldset class=${this.err('scopes') ? 'invalid' : ''} data-field-group="scopes">
        <legend>What it may do</legend>
        ${SCOPES.map((s) => html`<label class="check"><input type="checkbox" name="scope" value=${s} .checked=${v.scopes.includes(s)} @change=${(e: Event) => this.toggleScope(s, (e.target as HTMLInputElement).checked)}>
          ${SCOPE_TEXT[s].label}<span class="hint">${SCOPE_TEXT[s].help}</span></label>`)}
        ${this.errLine('scopes')}
      </fieldset>

      <fieldset class=${this.err('limits') ? 'invalid' : ''}>
        <legend>Limits <span class="hint">(optional: blank means no limit)</span></legend>
        <div class="limits">
          ${LIMITS.map((k) => html`<div class="field ${this.err(`limits.${k}`) ? 'invalid' : ''}">
            <label for=${`limit-${k}`}>${LIMIT_TEXT[k].label}</label>
            <input id=${`limit-${k}`} type="number" inputmode="numeric" min="1" step="1" placeholder="no limit" .value=${v.limits[k] ?? ''}
              @input=${(e: Event) => this.patch({ limits: { ...v.limits, [k]: (e.target as HTMLInputElement).value } })}>
            <span class="hint">${LIMIT_TEXT[k].help}</span>${this.errLine(`limits.${k}`)}
          </div>`)}
        </div>
        ${this.errors.limits ? this.errLine('limits') : nothing}
      </fieldset>

      <fieldset class=${this.err('allow') ? 'invalid' : ''}>
        <legend>Models</legend>
        ${MODEL_LISTS.map((m) => this.modelList(m))}
        ${this.errors.allow ? this.errLine('allow') : nothing}
      </fieldset>

      <div class="limits">
        <div class="field ${this.err('priority') ? 'invalid' : ''}">
          <label for="priority">Priority</label>
          <input id="priority" type="number" inputmode="numeric" step="1" min="-100" max="100" .value=${v.priority} @input=${(e: Event) => this.patch({ priority: (e.target as HTMLInputElement).value })}>
          <span class="hint">−100 to 100; higher goes first when requests wait for a model to load. 0 is normal.</span>
          ${this.errLine('priority')}
        </div>
        <div class="field ${this.err('expiresAt') ? 'invalid' : ''}">
          <label for="expires">Key expires</label>
          <input id="expires" type="date" .value=${v.expires} @input=${(e: Event) => this.patch({ expires: (e.target as HTMLInputElement).value })}>
          <span class="hint">The key works until the end of this day. Blank: it never expires.</span>
          ${this.errLine('expiresAt')}
        </div>
      </div>

      ${general.length ? html`<p class="err" role="alert">${general.join('; ')}</p>` : nothing}
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this.busy}>${editing ? 'Save changes' : 'Create client and key'}</button>
        <button type="button" @click=${() => this.dispatchEvent(new CustomEvent('cancel', { bubbles: true, composed: true }))}>Cancel</button>
      </div>
    </form>`;
  }
}

if (!customElements.get('spark-client-form')) customElements.define('spark-client-form', SparkClientForm);
