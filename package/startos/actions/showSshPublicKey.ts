import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sdk } from '../sdk'
import { publicKeyFile } from '../utils'

export const showSshPublicKey = sdk.Action.withoutInput(
  'show-ssh-public-key',
  {
    name: 'Show SSH public key',
    description: 'The key Spark Control logs in with. Add it to ~/.ssh/authorized_keys on each Spark (or use Install key on the dashboard).',
    warning: null,
    allowedStatuses: 'any',
    group: null,
    visibility: 'enabled',
  },
  async () => ({
    version: '1',
    title: 'SSH public key',
    message: 'Add this line to ~/.ssh/authorized_keys of <spark-user> on every Spark.',
    result: { type: 'single', value: readFileSync(join(sdk.volumes.main.path, publicKeyFile), 'utf8').trim(), masked: false, copyable: true, qr: false },
  }),
)
