import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';

/** The catalog model a request's `model` field names: by served name first, then catalog id, then a declared alias
 *  (so a served name can never be shadowed by another entry's alias). */
export function resolveModel(catalog: CatalogEntry[], name: string): CatalogEntry | undefined {
  return catalog.find((m) => m.servedName === name) ?? catalog.find((m) => m.id === name) ?? catalog.find((m) => m.aliases?.includes(name));
}

/** May a request naming this model load it? Its own setting, else the global one. */
export const loadsOnRequest = (m: CatalogEntry, cfg: VllmConfig): boolean => m.loadOnRequest ?? cfg.loadOnRequest;
