import { sdk } from '../sdk'
import { dataMount } from '../utils'

/** At install (and on every init, idempotently): the SSH key pair, generated inside the app's image by the app's
 *  own keygen so it is owned by the runtime user and never passes through a form. Private key mode 0600. */
export const seedFiles = sdk.setupOnInit(async (effects) => {
  const mounts = sdk.Mounts.of().mountVolume({ volumeId: 'main', subpath: null, mountpoint: dataMount, readonly: false })
  await sdk.SubContainer.withTemp(effects, { imageId: 'spark-control' }, mounts, 'keygen', async (sub) => {
    await sub.execFail(['node', 'dist/server/core/src/cli/keygen.js', dataMount])
  })
})
