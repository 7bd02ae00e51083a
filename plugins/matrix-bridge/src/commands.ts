import { sh, type ShellCommand } from '@spark-control/plugin-api';
import type { MatrixBridgeConfig } from './config.js';

/** Every command the plugin sends. Values come from the validated config and are quoted by `sh`. */
export const PHASE_MARK = '::phase::';

export function inspectState(c: MatrixBridgeConfig): ShellCommand {
  return sh`docker inspect --type container --format '{{json .State}}' ${c.containerName}`;
}

export function action(c: MatrixBridgeConfig, verb: 'restart' | 'stop' | 'start'): string[] {
  return ['docker', verb, c.containerName];
}

/** Update = fetch + hard reset to the remote branch, build, recreate, verify it runs. `set -e` makes any failing step
 *  end the script with its exit code; phase markers let the job show where it is. */
export function updateScript(c: MatrixBridgeConfig): ShellCommand {
  const remoteRef = `origin/${c.gitBranch}`;
  return sh`set -e
cd ${c.sourceDir}
echo ${PHASE_MARK + 'fetch'}
git fetch --prune origin ${c.gitBranch} 2>&1
echo ${PHASE_MARK + 'checkout'}
git reset --hard ${remoteRef} 2>&1
git log -1 --format='now at %h %s' 2>&1
echo ${PHASE_MARK + 'build'}
docker build -t ${c.image} . 2>&1
echo ${PHASE_MARK + 'recreate'}
docker rm -f ${c.containerName} >/dev/null 2>&1 || true
docker run -d --name ${c.containerName} --restart unless-stopped ${c.runArgs} ${c.image} 2>&1
echo ${PHASE_MARK + 'verify'}
sleep 2
test "$(docker inspect --type container --format '{{.State.Running}}' ${c.containerName})" = true || { echo 'error: the new container is not running' >&2; docker logs --tail 20 ${c.containerName} 2>&1; exit 1; }
echo ${PHASE_MARK + 'done'}`;
}

export const UPDATE_PHASES = ['fetch', 'checkout', 'build', 'recreate', 'verify', 'done'];

/** Output that means failure even if a tool forgot to exit non-zero. */
export const FAILURE_PATTERNS: Array<[RegExp, string]> = [
  [/^fatal: /i, 'git failed'],
  [/failed to solve|ERROR \[|error: failed to build/i, 'docker build failed'],
  [/^error( response from daemon)?:/i, 'docker reported an error'],
  [/no space left on device/i, 'the Spark is out of disk space'],
  [/permission denied/i, 'permission denied'],
];
