/** What the dashboard hands every tile element (set as the `api` property before the element is attached). */
export interface SparkTileEvent<T = unknown> {
  type: string;
  plugin?: string;
  at: string;
  data: T;
}

export interface SparkTileApi {
  readonly pluginId: string;
  /** `/api/plugins/<id>` */
  readonly base: string;
  /** Path relative to `base` unless it starts with `/`. Same-origin credentials and JSON headers handled. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** fetch + JSON; rejects with an Error whose message is the problem+json `detail`/`title` (and `.fields` for 400s). */
  json<T = unknown>(path: string, init?: RequestInit & { jsonBody?: unknown }): Promise<T>;
  /** Events from `/api/events` whose type starts with `prefix`. Returns unsubscribe. */
  subscribe(prefix: string, cb: (e: SparkTileEvent) => void): () => void;
}

/** Tile elements implement this (plain properties; Lit `@property({attribute:false})`). */
export interface SparkTileElement extends HTMLElement {
  api?: SparkTileApi;
  pluginId?: string;
}

/** Page-section elements (`ctx.pages.section`, since API 2.1.0) get the tile's two properties and the page's: the
 *  label value the page is about and the window the owner picked, both set again when either changes. */
export interface SparkPageSectionElement extends SparkTileElement {
  value?: string;
  minutes?: number;
}
