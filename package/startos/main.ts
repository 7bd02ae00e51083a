import { sdk } from './sdk'
import { dataMount, uiPort } from './utils'

export const main = sdk.setupMain(async ({ effects }) => {
  const mounts = sdk.Mounts.of().mountVolume({ volumeId: 'main', subpath: null, mountpoint: dataMount, readonly: false })
  return sdk.Daemons.of(effects)
    .addDaemon('primary', {
      subcontainer: sdk.SubContainer.of(effects, { imageId: 'spark-control' }, mounts, 'spark-control'),
      exec: {
        // V8 flags: core/src/kernel/nodeFlags.ts (why and what they were measured to buy).
        command: ['node', '--max-semi-space-size=32', 'dist/server/core/src/main.js'],
        // StartOS terminates TLS in front of us and forwards the user's Host (`<server>.local`, .onion, IP and
        // domain addresses); SPARK_TLS_PROXY lets same-origin checks accept its https:// origins.
        env: { SPARK_BIND: '0.0.0.0', SPARK_PORT: String(uiPort), SPARK_DATA_DIR: dataMount, SPARK_TLS_PROXY: '1' },
      },
      ready: {
        display: 'Dashboard',
        gracePeriod: 30_000,
        fn: () => sdk.healthCheck.checkPortListening(effects, uiPort, { successMessage: 'The dashboard is ready', errorMessage: 'The dashboard is not answering yet' }),
      },
      requires: [],
    })
    // Cluster reachability is informative only: nothing requires it, so a flaky Spark never restarts the dashboard.
    .addHealthCheck('cluster', {
      ready: {
        display: 'Sparks',
        fn: async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${uiPort}/health`, { signal: AbortSignal.timeout(5000) })
            const body = (await res.json()) as { status: string; simulated?: boolean }
            if (body.simulated) return { result: 'disabled', message: 'No Sparks configured yet: run "Configure Sparks"' }
            if (body.status === 'up') return { result: 'success', message: 'All Sparks and services answer' }
            return { result: 'failure', message: body.status === 'degraded' ? 'Some Sparks or services do not answer; see the dashboard' : 'Spark Control reports a problem' }
          } catch {
            return { result: 'loading', message: 'Waiting for the dashboard' }
          }
        },
      },
      requires: ['primary'],
    })
})
