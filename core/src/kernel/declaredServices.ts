import { isHostId, isServiceName } from '../api/ids.js';
import type { ServiceDeclaration } from '../api/types.js';

/** Why a manifest's `services` map is unusable, or undefined when it is fine (absent is fine). */
export function declaredServicesProblem(services: unknown): string | undefined {
  if (services === undefined) return undefined;
  if (!services || typeof services !== 'object' || Array.isArray(services)) return 'manifest.services must be an object { <service>: { hostId, port } }';
  for (const [name, d] of Object.entries(services as Record<string, unknown>)) {
    if (!isServiceName(name)) return `manifest.services: ${JSON.stringify(String(name).slice(0, 40))} is not a service name (a-z, 0-9, -, starting with a letter)`;
    const decl = d as Partial<ServiceDeclaration> | null;
    if (!decl || typeof decl !== 'object' || !isHostId(decl.hostId)) return `manifest.services.${name}.hostId must be a host id like spark-1`;
    if (!Number.isInteger(decl.port) || (decl.port as number) < 1 || (decl.port as number) > 65535) return `manifest.services.${name}.port must be 1–65535`;
    if (decl.memoryGB !== undefined && !(typeof decl.memoryGB === 'number' && decl.memoryGB >= 0 && decl.memoryGB <= 10_000)) return `manifest.services.${name}.memoryGB must be a number of GB (0–10000)`;
  }
  return undefined;
}

/** Defaults for `ctx.cluster.service(name, defaults)`: what the caller passed wins, field by field, over the manifest. */
export function withDeclaredDefaults(
  declared: Record<string, ServiceDeclaration> | undefined,
  name: string,
  defaults?: { hostId?: string; port?: number },
): { hostId?: string; port?: number } | undefined {
  const d = declared?.[name];
  if (!d) return defaults;
  return { hostId: defaults?.hostId ?? d.hostId, port: defaults?.port ?? d.port };
}
