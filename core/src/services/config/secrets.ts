/** Masking of fields marked `.meta({ secret: true })` (visible as `"secret": true` in their JSON Schema). */
export const SECRET_MASK = '********';

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; items?: JsonSchema; secret?: boolean; anyOf?: JsonSchema[]; [k: string]: unknown };

function isSecret(s: JsonSchema | undefined): boolean {
  return !!s && (s.secret === true || (Array.isArray(s.anyOf) && s.anyOf.some((x) => x.secret === true)));
}

/** Copy of `value` with secret fields replaced by the mask (set) or left absent (unset). */
export function maskSecrets(value: unknown, schema: JsonSchema | undefined): unknown {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, schema.items));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = schema.properties?.[k];
    if (isSecret(sub)) {
      if (v !== undefined && v !== '' && v !== null) out[k] = SECRET_MASK;
    } else out[k] = maskSecrets(v, sub);
  }
  return out;
}

/** A client sends the mask back for an unchanged secret: put the stored value back in its place. */
export function restoreMaskedSecrets(incoming: unknown, stored: unknown, schema: JsonSchema | undefined): unknown {
  if (!schema || incoming === null || typeof incoming !== 'object' || Array.isArray(incoming)) return incoming;
  const prev = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(incoming as Record<string, unknown>)) {
    const sub = schema.properties?.[k];
    if (isSecret(sub) && v === SECRET_MASK) out[k] = prev[k];
    else out[k] = restoreMaskedSecrets(v, prev[k], sub);
  }
  return out;
}

export function secretPaths(schema: JsonSchema | undefined, prefix = ''): string[] {
  if (!schema?.properties) return [];
  return Object.entries(schema.properties).flatMap(([k, s]) => (isSecret(s) ? [prefix + k] : secretPaths(s, `${prefix}${k}.`)));
}
