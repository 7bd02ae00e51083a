import { sdk } from '../sdk'
import { configure } from './configure'
import { showSshPublicKey } from './showSshPublicKey'

export const actions = sdk.Actions.of().addAction(configure).addAction(showSshPublicKey)
