/** Docker container state, from `docker inspect --format '{{json .State}}'` only. */
export type BotStatus =
  | { state: 'running'; startedAt?: string; health?: 'healthy' | 'unhealthy' | 'starting' }
  | { state: 'restarting'; restartCount?: number }
  | { state: 'exited'; exitCode: number; finishedAt?: string }
  | { state: 'created' | 'paused' | 'dead' }
  | { state: 'missing' }
  | { state: 'unknown'; error: string };

export function parseInspect(stdout: string, stderr: string, code: number | null): BotStatus {
  if (code !== 0) {
    if (/no such (object|container)/i.test(stderr + stdout)) return { state: 'missing' };
    return { state: 'unknown', error: (stderr || stdout).trim().split('\n').slice(-1)[0]?.slice(0, 200) || `docker inspect exited ${code}` };
  }
  let s: { Status?: string; Running?: boolean; Restarting?: boolean; ExitCode?: number; StartedAt?: string; FinishedAt?: string; Health?: { Status?: string } };
  try {
    s = JSON.parse(stdout.trim());
  } catch {
    return { state: 'unknown', error: 'docker inspect printed something that is not JSON' };
  }
  if (s.Restarting || s.Status === 'restarting') return { state: 'restarting' };
  if (s.Running || s.Status === 'running') {
    const h = s.Health?.Status;
    return { state: 'running', startedAt: s.StartedAt, ...(h === 'healthy' || h === 'unhealthy' || h === 'starting' ? { health: h } : {}) };
  }
  if (s.Status === 'exited') return { state: 'exited', exitCode: s.ExitCode ?? -1, finishedAt: s.FinishedAt };
  if (s.Status === 'created' || s.Status === 'paused' || s.Status === 'dead') return { state: s.Status };
  return { state: 'unknown', error: `unexpected state ${String(s.Status).slice(0, 40)}` };
}

export function describeStatus(s: BotStatus): string {
  switch (s.state) {
    case 'running': return s.health === 'unhealthy' ? 'running but unhealthy' : s.health === 'starting' ? 'running (health check starting)' : 'running';
    case 'exited': return `exited with code ${s.exitCode}`;
    case 'missing': return 'no container';
    case 'unknown': return `unknown: ${s.error}`;
    default: return s.state;
  }
}
