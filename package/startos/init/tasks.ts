import { configure } from '../actions/configure'
import { showSshPublicKey } from '../actions/showSshPublicKey'
import { readHosts } from '../clusterConfig'
import { sdk } from '../sdk'

/** No hosts yet → a critical task asks the owner to configure them before first start; the key is shown too. */
export const tasks = sdk.setupOnInit(async (effects, kind) => {
  if (readHosts(sdk.volumes.main.path).length === 0) {
    await sdk.action.createOwnTask(effects, configure, 'critical', { reason: 'Tell Spark Control where your Sparks are' })
  }
  if (kind === 'install') {
    await sdk.action.createOwnTask(effects, showSshPublicKey, 'important', { reason: 'Add Spark Control\'s SSH key to your Sparks' })
  }
})
