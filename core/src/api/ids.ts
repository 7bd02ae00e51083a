/**
 * The one validator for each kind of id the kernel knows. Plugins validate their own ids (e.g. catalog entries) in
 * their own folder; these are the kernel's: a plugin id is also a route prefix and a tile-tag prefix, a host id and a
 * service name are keys of config.json.
 */

/** Plugin id: 2–32 of `a-z`, `0-9`, `-`, starting with a letter (route prefix `/api/plugins/<id>`, tag `spark-<id>-…`). */
export const PLUGIN_ID: RegExp = /^[a-z][a-z0-9-]{1,31}$/;
/** Host id (`spark-1`): 1–32 of `a-z`, `0-9`, `-`, starting with a letter. */
export const HOST_ID: RegExp = /^[a-z][a-z0-9-]{0,31}$/;
/** Service name in the topology's service map: same rule as a host id. */
export const SERVICE_NAME: RegExp = HOST_ID;

export function isPluginId(v: unknown): v is string {
  return typeof v === 'string' && PLUGIN_ID.test(v);
}
export function isHostId(v: unknown): v is string {
  return typeof v === 'string' && HOST_ID.test(v);
}
export function isServiceName(v: unknown): v is string {
  return typeof v === 'string' && SERVICE_NAME.test(v);
}
