import { sdk } from './sdk'
import { uiPort } from './utils'

export const setInterfaces = sdk.setupInterfaces(async ({ effects }) => {
  const origin = await sdk.MultiHost.of(effects, 'ui').bindPort(uiPort, { protocol: 'http' })
  const ui = sdk.createInterface(effects, {
    id: 'ui',
    name: 'Dashboard',
    description: 'The Spark Control dashboard and its REST and OpenAI-compatible APIs',
    type: 'ui',
    masked: false,
    schemeOverride: null,
    username: null,
    path: '',
    query: {},
  })
  return [await origin.export([ui])]
})
