import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

/** Evaluates the bundled package exactly as `start-cli s9pk pack` does (run `npm run build` first). */
const require = createRequire(import.meta.url)
const pkg = require('../javascript/index.js')
const appVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version

describe('bundled manifest', () => {
  it('has the right id, arches, SDK, and a version whose upstream part is the app version', () => {
    const m = pkg.manifest
    expect(m.id).toBe('spark-control')
    expect(m.sdkVersion).toBe('2.0.9')
    expect(m.version.split(':')[0]).toBe(appVersion)
    expect(m.version).toMatch(/^\d+\.\d+\.\d+:\d+$/)
    for (const img of Object.values(m.images) as Array<{ arch: string[] }>) expect(img.arch.sort()).toEqual(['aarch64', 'x86_64'])
    expect(m.description.short.length).toBeLessThanOrEqual(80)
    expect(m.description.long.length).toBeLessThanOrEqual(500)
    expect(m.volumes).toEqual(['main'])
  })

  it('exports everything StartOS calls', () => {
    for (const name of ['main', 'init', 'uninit', 'createBackup', 'actions', 'manifest']) expect(pkg[name], name).toBeDefined()
  })
})
