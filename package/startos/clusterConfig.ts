import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
// The app's own schema: what this action writes is exactly what the app's loader accepts.
import { configFileSchema, type ConfigFile } from '../../core/src/config/schema'

export interface HostInput {
  id: string
  name: string
  address: string
  sshUser: string | null
  sshPort: number | null
  /** Address on the cable between the Sparks (tensor-parallel launches across Sparks); null = address */
  linkAddress?: string | null
}

/** Merge hosts into `<dir>/config.json`, validate the whole file with the app's schema, then write it atomically
 *  (temp file, fsync, rename). Throws — and writes nothing — when the app would refuse the result. */
export function writeClusterConfig(dir: string, hosts: HostInput[]): ConfigFile {
  const file = join(dir, 'config.json')
  const current: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
  const next = {
    ...current,
    hosts: hosts.map((h) => ({ id: h.id, name: h.name, address: h.address, sshUser: h.sshUser ?? '', sshPort: h.sshPort ?? '', linkAddress: h.linkAddress ?? '' })),
  }
  const parsed = configFileSchema.safeParse(next)
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new Error(`These settings were not saved: ${fields}`)
  }
  mkdirSync(dir, { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o600)
  writeSync(fd, JSON.stringify(parsed.data, null, 2) + '\n')
  fsyncSync(fd)
  closeSync(fd)
  renameSync(tmp, file)
  return parsed.data
}

export function readHosts(dir: string): HostInput[] {
  const file = join(dir, 'config.json')
  if (!existsSync(file)) return []
  try {
    const cfg = JSON.parse(readFileSync(file, 'utf8')) as { hosts?: HostInput[] }
    return (cfg.hosts ?? []).map((h) => ({ id: h.id, name: h.name, address: h.address, sshUser: h.sshUser ?? null, sshPort: h.sshPort ?? null, linkAddress: h.linkAddress ?? null }))
  } catch {
    return []
  }
}
