/**
 * What a plugin adds to the dashboard: tiles, page kinds and sections on pages. Each is checked when registered (a
 * tag in the plugin's own `spark-<id>-` namespace, a relative module in its UI dir, a kind that is a plain word), so a
 * mistake fails the plugin's register, not the dashboard.
 */
import type { PageSectionSpec, PageSpec, TileSpec } from '../api/types.js';
import { SparkError } from '../api/errors.js';
import { codes } from '../api/codes.js';
import { bindToPlugin, type PluginOwner } from './pluginContext.js';

export interface RegisteredTile extends TileSpec {
  plugin: string;
  moduleUrl: string;
}
export interface RegisteredSection extends PageSectionSpec {
  plugin: string;
  moduleUrl: string;
}

/** What one plugin instance registered for the dashboard. */
export interface UiContributions {
  readonly tiles: RegisteredTile[];
  readonly pages: PageSpec[];
  readonly sections: RegisteredSection[];
}

const KIND = /^[a-z][a-z0-9-]{1,31}$/;
/** A series label as the history store keeps them (Prometheus label names). */
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

function element(id: string, what: string, tag: string, module: string): string {
  if (!tag.startsWith(`spark-${id}-`)) throw new SparkError(codes.TILE_TAG, `${id}: ${what} tag ${tag} must start with spark-${id}-`, { status: 500 });
  if (!/^[a-z0-9][a-z0-9._/-]*\.js$/i.test(module) || module.includes('..')) throw new SparkError(codes.TILE_MODULE, `${id}: ${what} module must be a relative .js path`, { status: 500 });
  return `/plugins/${id}/ui/${module}`;
}

function text(id: string, field: string, v: unknown): void {
  if (typeof v !== 'string' || !v.trim() || v.length > 80) throw new SparkError(codes.PAGE_KIND, `${id}: page ${field} must be 1–80 characters`, { status: 500 });
}

/** `ctx.tiles` and `ctx.pages` for plugin `id`, recording into `into`. */
export function uiRegistrars(owner: PluginOwner, id: string, into: UiContributions): { tiles: { register(t: TileSpec): void }; pages: { register(p: PageSpec): void; section(s: PageSectionSpec): void } } {
  return {
    tiles: {
      register: (t: TileSpec) => {
        const moduleUrl = element(id, 'tile', t.tag, t.module);
        into.tiles.push({ ...t, ...(t.hidden ? { hidden: bindToPlugin(owner, `tile ${t.tag} hidden()`, t.hidden) } : {}), plugin: id, moduleUrl });
      },
    },
    pages: {
      register: (p: PageSpec) => {
        if (typeof p.kind !== 'string' || !KIND.test(p.kind)) throw new SparkError(codes.PAGE_KIND, `${id}: page kind ${String(p.kind)} must match ${KIND}`, { status: 500 });
        if (typeof p.label !== 'string' || !LABEL.test(p.label)) throw new SparkError(codes.PAGE_KIND, `${id}: page label ${String(p.label)} must be a series label name`, { status: 500 });
        text(id, 'title', p.title);
        text(id, 'others', p.others);
        if (into.pages.some((o) => o.kind === p.kind)) throw new SparkError(codes.PAGE_CONFLICT, `${id}: page kind ${p.kind} registered twice`, { status: 500 });
        into.pages.push({ kind: p.kind, label: p.label, title: p.title, others: p.others });
      },
      section: (s: PageSectionSpec) => {
        if (typeof s.kind !== 'string' || !KIND.test(s.kind)) throw new SparkError(codes.PAGE_KIND, `${id}: section kind ${String(s.kind)} must match ${KIND}`, { status: 500 });
        const moduleUrl = element(id, 'section', s.tag, s.module);
        into.sections.push({ ...s, ...(s.hidden ? { hidden: bindToPlugin(owner, `section ${s.tag} hidden()`, s.hidden) } : {}), plugin: id, moduleUrl });
      },
    },
  };
}
