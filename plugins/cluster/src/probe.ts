import { sh, type ShellCommand } from '@spark-control/plugin-api';

const GPU_QUERY = 'name,utilization.gpu,temperature.gpu,power.draw,memory.used,memory.total';

/** The one command a poll sends: every probe, each behind an `@@section` marker. Unprivileged only (no sudo on the
 *  Sparks); a missing tool just leaves its section empty. `withDiskUsage` adds the slow `du` of the model cache. */
export function probeCommand(cacheDir: string, withDiskUsage: boolean): ShellCommand {
  const cache = cacheDir.startsWith('/') ? sh`${cacheDir}` : sh`"$HOME"/${cacheDir}`;
  return sh`echo @@gpu; nvidia-smi --query-gpu=${GPU_QUERY} --format=csv,noheader,nounits 2>&1
echo @@meminfo; cat /proc/meminfo
echo @@loadavg; cat /proc/loadavg
echo @@nproc; nproc 2>/dev/null
echo @@uptime; cat /proc/uptime
echo @@disk; df -Pk ${cache} 2>/dev/null | tail -1 || df -Pk "$HOME" | tail -1
${withDiskUsage ? sh`echo @@cache; du -sk ${cache} 2>/dev/null` : sh`true`}
echo @@docker; docker ps --format '{{json .}}' 2>&1
echo @@ipaddr; ip -j addr 2>/dev/null
echo @@iplink; ip -d -j link 2>/dev/null
echo @@end`;
}
