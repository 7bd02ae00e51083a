import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Tiles and the dashboard are served from dist/ui; build them once per test run (esbuild, ~1 s). */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs', '--ui-only'], { cwd: root, stdio: 'inherit' });
}
