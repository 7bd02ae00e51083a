// Fake git (installed on each simulated Spark by the matrix-bridge simulator's seedHost). A "repository" is the current folder holding .simgit.json:
//   { "head": "<sha>", "remote": { "<branch>": { "sha": "...", "subject": "..." } }, "failFetch": "<message>"? }
// Supported: fetch [--prune] origin <branch>; reset --hard origin/<branch>; log -1 --format=...; rev-parse HEAD.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const file = '.simgit.json';
const args = process.argv.slice(2);
if (!existsSync(file)) { process.stderr.write('fatal: not a git repository (or any of the parent directories): .git\n'); process.exit(128); }
const repo = JSON.parse(readFileSync(file, 'utf8'));
const save = () => writeFileSync(file, JSON.stringify(repo, null, 2));
const [cmd, ...rest] = args;
if (cmd === 'fetch') {
  const branch = rest.filter((a) => !a.startsWith('-'))[1];
  if (repo.failFetch) { process.stderr.write(`fatal: ${repo.failFetch}\n`); process.exit(128); }
  if (!repo.remote?.[branch]) { process.stderr.write(`fatal: couldn't find remote ref ${branch}\n`); process.exit(128); }
  process.stdout.write(`From sim:bot\n * branch            ${branch}     -> FETCH_HEAD\n`);
  repo.fetched = { ...(repo.fetched ?? {}), [branch]: repo.remote[branch] };
  save();
} else if (cmd === 'reset' && rest[0] === '--hard') {
  const ref = rest[1] ?? 'HEAD';
  const branch = ref.replace(/^origin\//, '');
  const target = repo.fetched?.[branch];
  if (!target) { process.stderr.write(`fatal: ambiguous argument '${ref}': unknown revision or path not in the working tree.\n`); process.exit(128); }
  repo.head = target.sha;
  repo.subject = target.subject;
  save();
  process.stdout.write(`HEAD is now at ${target.sha.slice(0, 7)} ${target.subject}\n`);
} else if (cmd === 'log') {
  const fmt = (rest.find((a) => a.startsWith('--format=')) ?? '--format=%h %s').slice('--format='.length);
  process.stdout.write(fmt.replace('%h', String(repo.head).slice(0, 7)).replace('%H', repo.head).replace('%s', repo.subject ?? '') + '\n');
} else if (cmd === 'rev-parse') {
  process.stdout.write(repo.head + '\n');
} else {
  process.stderr.write(`git: '${cmd}' is not simulated\n`);
  process.exit(1);
}
