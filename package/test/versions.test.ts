import { describe, expect, it } from 'vitest'
import { versionGraph } from '../startos/versions'
import { current } from '../startos/versions/current'

describe('version graph', () => {
  it('has the current version with release notes, and its up-migration runs', async () => {
    expect(current.options.version).toBe('0.1.0:0')
    expect(String(current.options.releaseNotes)).toContain('Spark Control')
    const up = current.options.migrations.up as unknown as (o: { effects: never }) => Promise<void>
    await expect(up({ effects: {} as never })).resolves.toBeUndefined()
    expect(versionGraph).toBeDefined()
  })
})
