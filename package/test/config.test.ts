import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigService } from '../../core/src/services/config/ConfigService'
import { JsonLogger } from '../../core/src/services/logger/Logger'
import { inputSpec } from '../startos/actions/configure'
import { readHosts, writeClusterConfig } from '../startos/clusterConfig'

const good = { id: 'spark-1', name: 'Spark 1', address: '192.0.2.10', sshUser: null, sshPort: null, linkAddress: null }

describe('Configure Sparks action', () => {
  it('declares the form rules (patterns, port range) the StartOS UI enforces, and accepts a valid form', async () => {
    const { spec, validator } = await inputSpec.build({} as never)
    expect(validator.safeParse({ hosts: [good] }).success).toBe(true)
    const text = JSON.stringify(spec)
    expect(text).toContain('^[a-z][a-z0-9-]{0,31}$')
    expect(text).toContain('^[a-z_][a-z0-9_-]{0,31}$')
    expect(text).toContain('"max":65535')
    // The SDK's own validator does not check list items' patterns: the run handler's shared-schema check is the gate.
    expect(() => writeClusterConfig(mkdtempSync(join(tmpdir(), 'startos-cfg-')), [{ ...good, id: 'Bad Id' }])).toThrow(/hosts.0.id/)
  })

  it('writes a config the app loads unchanged (one schema), blanks meaning defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'startos-cfg-'))
    writeClusterConfig(dir, [good, { ...good, id: 'spark-2', name: 'Spark 2', address: 'spark-2.lan', sshUser: 'ai', sshPort: 2222, linkAddress: '198.51.100.2' }])
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600)
    const app = new ConfigService(dir, new JsonLogger('silent'))
    expect(app.cluster().hosts).toEqual([
      { id: 'spark-1', name: 'Spark 1', address: '192.0.2.10', sshUser: 'spark', sshPort: 22 },
      { id: 'spark-2', name: 'Spark 2', address: 'spark-2.lan', sshUser: 'ai', sshPort: 2222, linkAddress: '198.51.100.2' },
    ])
    // What the action shows next time is what it stored (a link address is not dropped by a re-save).
    expect(readHosts(dir)[1]).toMatchObject({ linkAddress: '198.51.100.2' })
  })

  it('cannot write a config the app would reject, and leaves the previous file as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'startos-cfg-'))
    writeClusterConfig(dir, [good])
    const before = readFileSync(join(dir, 'config.json'), 'utf8')
    for (const bad of [{ ...good, address: 'a;reboot' }, { ...good, linkAddress: '10.0.0.2 -oProxyCommand=x' }, { ...good, sshPort: 0 }, { ...good, sshPort: 70000 }, { ...good, sshUser: 'x y' }, { ...good, sshUser: 'me;reboot' }]) {
      expect(() => writeClusterConfig(dir, [bad])).toThrow(/not saved/)
    }
    expect(() => writeClusterConfig(dir, [good, good])).toThrow(/duplicate host id/)
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(before)
  })
})

describe('SSH key generation at install', () => {
  it('creates the key pair once with a 0600 private key and keeps it on the next run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'startos-key-'))
    const run = () => execFileSync(process.execPath, ['--import', 'tsx', '../core/src/cli/keygen.ts', dir], { cwd: join(__dirname, '..'), encoding: 'utf8' })
    const first = run()
    expect(first).toMatch(/^ssh-ed25519 /)
    expect(statSync(join(dir, 'ssh/id_ed25519')).mode & 0o777).toBe(0o600)
    expect(existsSync(join(dir, 'ssh/id_ed25519.pub'))).toBe(true)
    expect(run()).toBe(first)
  })
})
