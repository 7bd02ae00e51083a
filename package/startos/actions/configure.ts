import { sdk } from '../sdk'
import { readHosts, writeClusterConfig } from '../clusterConfig'

const { InputSpec, Value, List } = sdk

const hostSpec = InputSpec.of({
  id: Value.text({ name: 'Id', description: 'Short id used in the dashboard, e.g. spark-1', default: 'spark-1', required: true, patterns: [{ regex: '^[a-z][a-z0-9-]{0,31}$', description: 'lower-case letters, digits and dashes, starting with a letter' }] }),
  name: Value.text({ name: 'Name', default: 'Spark 1', required: true, maxLength: 64 }),
  address: Value.text({ name: 'Address', description: 'IP address or host name of the Spark on your LAN or VPN, e.g. <spark-1-ip>', default: null, required: true, placeholder: '192.168.1.50' }),
  sshUser: Value.text({ name: 'SSH user', description: 'Leave blank for the default (spark)', default: null, required: false, patterns: [{ regex: '^[a-z_][a-z0-9_-]{0,31}$', description: 'a Unix user name' }] }),
  sshPort: Value.number({ name: 'SSH port', description: 'Leave blank for 22', default: null, required: false, integer: true, min: 1, max: 65535 }),
  linkAddress: Value.text({ name: 'Link address', description: 'Address of this Spark on the cable between your Sparks, for models that run across both (tensor parallel); leave blank to use Address', default: null, required: false, placeholder: '<spark-1-link-ip>' }),
})

export const inputSpec = InputSpec.of({
  hosts: Value.list(List.obj({ name: 'Sparks', description: 'Two by default; one or more are fine', minLength: 1 }, { spec: hostSpec, displayAs: '{{name}} ({{address}})', uniqueBy: 'id' })),
})

export const configure = sdk.Action.withInput(
  'configure-sparks',
  {
    name: 'Configure Sparks',
    description: 'Tell Spark Control where your DGX Spark machines are.',
    warning: null,
    allowedStatuses: 'any',
    group: null,
    visibility: 'enabled',
  },
  inputSpec,
  async () => ({ hosts: readHosts(sdk.volumes.main.path) }),
  async ({ input }) => {
    writeClusterConfig(sdk.volumes.main.path, input.hosts)
    return null
  },
)
