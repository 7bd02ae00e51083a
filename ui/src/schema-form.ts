import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { fieldLabel } from './fieldLabel.js';

/** The subset of JSON Schema the settings forms render (what z.toJSONSchema emits for our config schemas). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  secret?: boolean;
  required?: string[];
}

const MASK = '********';

function effective(s: JsonSchema): JsonSchema {
  // `'' | string` unions and optional wrappers render as their most useful branch.
  if (s.anyOf?.length) {
    const secret = s.secret || s.anyOf.some((x) => x.secret);
    const pick = s.anyOf.find((x) => x.type && x.type !== 'null' && x.const === undefined) ?? s.anyOf[0];
    return { ...pick, ...(secret ? { secret } : {}), default: s.default ?? pick.default, description: s.description ?? pick.description, title: s.title ?? pick.title };
  }
  return s;
}

const label = fieldLabel;

/** A form generated from a JSON Schema. Emits `submit-values` with the edited object; shows `errors` (field → message)
 *  next to each field, as the server's problem+json named them. */
export class SparkSchemaForm extends LitElement {
  static properties = { schema: { attribute: false }, initial: { attribute: false }, value: { state: true }, jsonErrors: { state: true }, errors: { attribute: false }, busy: { type: Boolean }, saved: { type: Boolean } };
  schema: JsonSchema = {};
  /** Stored values from the server; the form edits its own copy (`value`) so a re-render of the page never wipes
   *  what the user typed (Lit re-assigns object bindings on every render). */
  initial: Record<string, unknown> = {};
  value: Record<string, unknown> = {};
  errors: Record<string, string> = {};
  /** Maps edited as JSON that do not parse yet (field → message); the last valid value stays in `value`. */
  jsonErrors: Record<string, string> = {};
  busy = false;
  saved = false;

  static styles = css`
    form { display: grid; gap: 14px; }
    .field { display: grid; gap: 4px; }
    label { font-weight: 600; font-size: 0.9rem; }
    .hint { color: var(--spark-muted); font-size: 0.8rem; }
    input, select, textarea { font: inherit; padding: 8px 10px; border-radius: 8px; border: 1px solid var(--spark-border); background: var(--spark-bg); color: var(--spark-text); width: 100%; max-width: 520px; }
    input[type=checkbox] { width: auto; }
    .invalid input, .invalid select, .invalid textarea { border-color: var(--spark-err); }
    .err { color: var(--spark-err); font-size: 0.85rem; }
    fieldset { border: 1px solid var(--spark-border); border-radius: 8px; padding: 10px 14px; display: grid; gap: 12px; }
    legend { font-weight: 600; padding: 0 4px; }
    .actions { display: flex; gap: 10px; align-items: center; }
    button { font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 8px; border: 0; background: var(--spark-accent); color: var(--spark-accent-text); cursor: pointer; }
    button[disabled] { opacity: 0.6; }
    .ok { color: var(--spark-ok); }
  `;

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('initial')) this.value = structuredClone(this.initial ?? {});
  }

  private get(path: string[]): unknown {
    return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), this.value);
  }

  private set(path: string[], v: unknown) {
    const next = structuredClone(this.value ?? {});
    let o = next as Record<string, unknown>;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[path[path.length - 1]] = v;
    this.value = next;
    this.saved = false;
  }

  private field(key: string, raw: JsonSchema, path: string[]): TemplateResult {
    const s = effective(raw);
    const id = path.join('.');
    const cur = this.get(path);
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    // The server names a map entry (`payloadIndexes.year`); a map is one box, so its entries' messages show there.
    const entryErr = type === 'object' && !s.properties ? Object.entries(this.errors).find(([k]) => k.startsWith(`${id}.`)) : undefined;
    const err = this.jsonErrors[id] ?? this.errors[id] ?? (entryErr ? `${entryErr[0].slice(id.length + 1)}: ${entryErr[1]}` : undefined);
    const hint = s.description ? html`<span class="hint">${s.description}</span>` : nothing;
    const wrap = (control: TemplateResult) => html`<div class="field ${err ? 'invalid' : ''}">
      <label for=${id}>${s.title ?? label(key)}</label>${control}${hint}${err ? html`<span class="err" data-field=${id}>${err}</span>` : nothing}</div>`;
    if (type === 'object' && s.properties) {
      return html`<fieldset><legend>${s.title ?? label(key)}</legend>${Object.entries(s.properties).map(([k, sub]) => this.field(k, sub, [...path, k]))}</fieldset>`;
    }
    if (type === 'object') {
      // A map (record) has no fixed fields: edit it as JSON, checked as the user types.
      return wrap(html`<textarea id=${id} rows="3" spellcheck="false" .value=${JSON.stringify(cur ?? s.default ?? {}, null, 1)}
        @input=${(e: Event) => {
          let v: unknown;
          try { v = JSON.parse((e.target as HTMLTextAreaElement).value); } catch { v = undefined; }
          const ok = v !== null && typeof v === 'object' && !Array.isArray(v);
          const { [id]: _drop, ...rest } = this.jsonErrors;
          this.jsonErrors = ok ? rest : { ...rest, [id]: 'write a JSON object, e.g. {"key": "value"}' };
          if (ok) this.set(path, v);
        }}></textarea>`);
    }
    if (s.enum) {
      return wrap(html`<select id=${id} @change=${(e: Event) => this.set(path, (e.target as HTMLSelectElement).value)}>
        ${s.enum.map((v) => html`<option .value=${String(v)} ?selected=${String(cur ?? s.default) === String(v)}>${String(v)}</option>`)}</select>`);
    }
    if (type === 'boolean') {
      return wrap(html`<input id=${id} type="checkbox" .checked=${Boolean(cur ?? s.default)} @change=${(e: Event) => this.set(path, (e.target as HTMLInputElement).checked)}>`);
    }
    if (type === 'number' || type === 'integer') {
      return wrap(html`<input id=${id} type="number" inputmode="numeric" step=${type === 'integer' ? '1' : 'any'} .value=${cur === undefined || cur === null ? '' : String(cur)}
        placeholder=${s.default !== undefined ? `default ${s.default}` : ''}
        @input=${(e: Event) => { const v = (e.target as HTMLInputElement).value; this.set(path, v === '' ? undefined : Number(v)); }}>`);
    }
    if (type === 'array') {
      const list = Array.isArray(cur) ? cur : [];
      return wrap(html`<textarea id=${id} rows="3" placeholder="one per line" .value=${list.map(String).join('\n')}
        @input=${(e: Event) => {
          const lines = (e.target as HTMLTextAreaElement).value.split('\n').map((x) => x.trim()).filter(Boolean);
          const numeric = s.items?.type === 'number' || s.items?.type === 'integer';
          this.set(path, numeric ? lines.map((x) => (Number.isNaN(Number(x)) ? x : Number(x))) : lines);
        }}></textarea>`);
    }
    const secret = !!s.secret;
    return wrap(html`<input id=${id} type=${secret ? 'password' : 'text'} autocomplete="off" .value=${cur === undefined || cur === null ? '' : String(cur)}
      placeholder=${secret && cur === MASK ? 'unchanged' : s.default !== undefined && s.default !== '' ? `default ${s.default}` : ''}
      @input=${(e: Event) => this.set(path, (e.target as HTMLInputElement).value)}>`);
  }

  private submit(e: Event) {
    e.preventDefault();
    if (Object.keys(this.jsonErrors).length) return;
    this.dispatchEvent(new CustomEvent('submit-values', { detail: this.value, bubbles: true, composed: true }));
  }

  render() {
    const props = this.schema?.properties ?? {};
    const general = this.errors[''];
    return html`<form @submit=${this.submit} novalidate>
      ${Object.entries(props).map(([k, s]) => this.field(k, s, [k]))}
      ${general ? html`<span class="err">${general}</span>` : nothing}
      <div class="actions"><button type="submit" ?disabled=${this.busy}>Save</button>${this.saved ? html`<span class="ok">Saved</span>` : nothing}</div>
    </form>`;
  }
}
customElements.define('spark-schema-form', SparkSchemaForm);
