// Fake docker CLI. Container state format (one file per container, $SIM_STATE/containers/<name>.json):
//   { Id, Name, Image, Cmd: [...], Env: [...], Args: [...docker run flags], Created, RestartPolicy,
//     State: { Status: created|running|restarting|exited|dead, Running, Restarting, ExitCode, StartedAt, FinishedAt,
//              Health?: { Status: healthy|unhealthy|starting } } }
// Logs: $SIM_STATE/containers/<name>.log (appended by whoever simulates the workload).
// Images: $SIM_STATE/images.json { "<repo:tag>": { Id, Created } }.
// Behaviour hooks for tests: $SIM_STATE/docker-fail-build (file: build fails with its content),
// $SIM_STATE/docker-hang-build (build hangs), a container file's "ExitAfterStart": n (exits with that code at once).
// Async removal like the real daemon after `stop` via `rm` is modelled by "RemoveAt" (ISO time) in the state file.
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { STATE, containerFile, exists, listContainers, logFile, readJson, writeJson } from './state.mjs';

const argv = process.argv.slice(2).map((a) => (a.startsWith('@') ? a.slice(1) : a));
const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);
const now = () => new Date().toISOString();

function gcRemoved() {
  for (const c of listContainers()) if (c.RemoveAt && Date.parse(c.RemoveAt) <= Date.now()) { rmSync(containerFile(c.Name), { force: true }); }
}
function load(name) {
  gcRemoved();
  if (!exists(name)) { err(`Error response from daemon: No such container: ${name}\n`); process.exit(1); }
  return readJson(containerFile(name));
}
function save(c) { writeJson(containerFile(c.Name), c); }
function opt(args, names) {
  for (let i = 0; i < args.length; i++) {
    for (const n of names) {
      if (args[i] === n) return args[i + 1];
      if (args[i].startsWith(n + '=')) return args[i].slice(n.length + 1);
    }
  }
  return undefined;
}
function has(args, names) { return args.some((a) => names.includes(a)); }
function psLine(c) {
  const st = c.State;
  const status = st.Running ? `Up ${Math.max(1, Math.round((Date.now() - Date.parse(st.StartedAt)) / 1000))} seconds${st.Health ? ` (${st.Health.Status})` : ''}` : st.Restarting ? 'Restarting (1) 2 seconds ago' : `Exited (${st.ExitCode}) ${Math.max(1, Math.round((Date.now() - Date.parse(st.FinishedAt || st.StartedAt || c.Created)) / 1000))} seconds ago`;
  return { Command: JSON.stringify((c.Cmd || []).join(' ')), CreatedAt: c.Created, ID: c.Id.slice(0, 12), Image: c.Image, Labels: '', LocalVolumes: '0', Mounts: '', Names: c.Name, Networks: 'host', Ports: '', RunningFor: 'a few seconds ago', Size: '0B', State: st.Status, Status: status };
}
function template(fmt, c) {
  if (fmt === '{{json .State}}') return JSON.stringify(c.State);
  if (fmt === '{{json .}}') return JSON.stringify(c);
  if (fmt === '{{.State.Running}}') return String(!!c.State.Running);
  if (fmt === '{{.State.Status}}') return c.State.Status;
  if (fmt === '{{.State.ExitCode}}') return String(c.State.ExitCode ?? 0);
  if (fmt === '{{.Id}}') return c.Id;
  if (fmt === '{{json .Config.Env}}') return JSON.stringify(c.Env || []);
  return JSON.stringify(c);
}

const [cmd, ...rest] = argv;
switch (cmd) {
  case 'ps': {
    gcRemoved();
    const all = has(rest, ['-a', '--all']);
    const fmt = opt(rest, ['--format']);
    const filter = opt(rest, ['--filter', '-f']);
    let list = listContainers().filter((c) => all || c.State.Running);
    if (filter?.startsWith('name=')) list = list.filter((c) => c.Name.includes(filter.slice(5)));
    if (has(rest, ['-q', '--quiet'])) { for (const c of list) out(c.Id.slice(0, 12) + '\n'); break; }
    if (fmt === '{{json .}}') { for (const c of list) out(JSON.stringify(psLine(c)) + '\n'); break; }
    if (fmt) { for (const c of list) out(fmt.replace(/\{\{\.Names\}\}/g, c.Name).replace(/\{\{\.Status\}\}/g, psLine(c).Status).replace(/\{\{\.Image\}\}/g, c.Image) + '\n'); break; }
    out('CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n');
    for (const c of list) { const p = psLine(c); out(`${p.ID}   ${p.Image}   ${p.Command}   ${p.RunningFor}   ${p.Status}      ${p.Names}\n`); }
    break;
  }
  case 'inspect': {
    const fmt = opt(rest, ['--format', '-f']);
    const names = rest.filter((a, i) => !a.startsWith('-') && !['--format', '-f', '--type'].includes(rest[i - 1]));
    gcRemoved();
    const found = [];
    for (const n of names) {
      if (!exists(n)) { if (fmt) { err(`Error: No such object: ${n}\n`); process.exit(1); } continue; }
      found.push(readJson(containerFile(n)));
    }
    if (found.length === 0) { if (!fmt) out('[]\n'); err(`Error: No such object: ${names[0] ?? ''}\n`); process.exit(1); }
    if (fmt) for (const c of found) out(template(fmt, c) + '\n');
    else out(JSON.stringify(found.map((c) => ({ Id: c.Id, Name: '/' + c.Name, Created: c.Created, State: c.State, Config: { Image: c.Image, Cmd: c.Cmd, Env: c.Env } })), null, 4) + '\n');
    break;
  }
  case 'run': {
    const name = opt(rest, ['--name']);
    if (!has(rest, ['-d', '--detach'])) { err('fake docker: only detached runs (-d) are simulated\n'); process.exit(125); }
    const valueFlags = new Set(['--name', '-e', '--env', '-v', '--volume', '--restart', '-p', '--publish', '--network', '--ipc', '--gpus', '--shm-size', '--env-file', '--ulimit', '-w', '--workdir', '--entrypoint', '--label', '-l', '--device', '--runtime', '--privileged_', '--user', '-u', '--memory', '--cpus']);
    let i = 0; const flags = [];
    while (i < rest.length && rest[i].startsWith('-')) {
      const a = rest[i];
      flags.push(a);
      if (valueFlags.has(a)) { flags.push(rest[i + 1]); i += 2; } else i += 1;
    }
    const image = rest[i];
    const command = rest.slice(i + 1);
    if (!image) { err('"docker run" requires at least 1 argument.\n'); process.exit(125); }
    if (name && exists(name) && !readJson(containerFile(name)).RemoveAt) {
      err(`docker: Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${readJson(containerFile(name)).Id}". You have to remove (or rename) that container to be able to reuse that name.\n`);
      process.exit(125);
    }
    const images = readJson(join(STATE, 'images.json'), {});
    const id = randomBytes(32).toString('hex');
    const envs = [];
    for (let j = 0; j < flags.length; j++) if (flags[j] === '-e' || flags[j] === '--env') envs.push(flags[j + 1]);
    const c = {
      Id: id, Name: name ?? `sim_${id.slice(0, 6)}`, Image: image, Cmd: command, Env: envs, Args: flags, Created: now(),
      RestartPolicy: opt(flags, ['--restart']) ?? 'no', ImageKnown: !!images[image],
      State: { Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: now(), FinishedAt: '0001-01-01T00:00:00Z' },
    };
    const exitAfter = readJson(join(STATE, 'docker-exit-on-start.json'), {})[c.Name];
    if (exitAfter !== undefined) c.State = { ...c.State, Status: 'exited', Running: false, ExitCode: exitAfter, FinishedAt: now() };
    save(c);
    // A new container starts with an empty log, as `docker logs` shows only this container's output.
    writeFileSync(logFile(c.Name), `${now()} container started from ${image}\n`);
    out(id + '\n');
    break;
  }
  case 'stop': case 'kill': {
    for (const n of rest.filter((a) => !a.startsWith('-'))) {
      const c = load(n);
      c.State = { ...c.State, Status: 'exited', Running: false, Restarting: false, ExitCode: cmd === 'kill' ? 137 : 0, FinishedAt: now() };
      if (c.Exec) c.Exec.dead = true;
      // --rm containers disappear a moment after they stop (asynchronously), as with the real daemon.
      if ((c.Args || []).includes('--rm')) c.RemoveAt = new Date(Date.now() + Number(process.env.SIM_RM_DELAY_MS ?? 1500)).toISOString();
      save(c); appendFileSync(logFile(n), `${now()} container stopped\n`); out(n + '\n');
    }
    break;
  }
  case 'start': case 'restart': {
    for (const n of rest.filter((a) => !a.startsWith('-'))) {
      const c = load(n);
      c.State = { ...c.State, Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: now() };
      save(c); appendFileSync(logFile(n), `${now()} container ${cmd}ed\n`); out(n + '\n');
    }
    break;
  }
  case 'rm': {
    const force = has(rest, ['-f', '--force']);
    let rc = 0;
    for (const n of rest.filter((a) => !a.startsWith('-'))) {
      gcRemoved();
      if (!exists(n)) { err(`Error response from daemon: No such container: ${n}\n`); rc = 1; continue; }
      const c = readJson(containerFile(n));
      if (c.State.Running && !force) { err(`Error response from daemon: You cannot remove a running container ${c.Id}. Stop the container before attempting removal or force remove\n`); rc = 1; continue; }
      rmSync(containerFile(n), { force: true });
      out(n + '\n');
    }
    process.exit(rc);
  }
  case 'logs': {
    const name = rest.filter((a, i) => !a.startsWith('-') && !['--tail', '-n', '--since'].includes(rest[i - 1])).pop();
    load(name);
    const tail = opt(rest, ['--tail', '-n']);
    const follow = has(rest, ['-f', '--follow']);
    const file = logFile(name);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    let lines = text.split('\n').filter(Boolean);
    if (tail && tail !== 'all') lines = lines.slice(-Number(tail));
    out(lines.map((l) => l + '\n').join(''));
    if (follow) {
      // Follow from where the read above ended, not from the size now: a line written after that read (by a client
      // that saw the tail and reacted) would otherwise be skipped.
      let pos = Buffer.byteLength(text);
      setInterval(() => {
        if (!existsSync(file)) return;
        const size = statSync(file).size;
        if (size <= pos) return;
        const fd = openSync(file, 'r');
        const buf = Buffer.alloc(size - pos);
        readSync(fd, buf, 0, buf.length, pos);
        closeSync(fd);
        pos = size;
        out(buf.toString('utf8'));
      }, 100);
    }
    break;
  }
  case 'build': {
    const tag = opt(rest, ['-t', '--tag']);
    const failFile = join(STATE, 'docker-fail-build');
    out('#0 building with "default" instance using docker driver\n');
    out('#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n');
    if (existsSync(join(STATE, 'docker-hang-build'))) { out('#5 [3/4] RUN npm ci\n'); setInterval(() => {}, 1000); break; }
    out('#5 [3/4] RUN npm ci\n#5 DONE 1.2s\n');
    if (existsSync(failFile)) {
      const why = readFileSync(failFile, 'utf8').trim() || 'process "/bin/sh -c npm ci" did not complete successfully: exit code: 1';
      err(`ERROR: failed to solve: ${why}\n`);
      process.exit(1);
    }
    const images = readJson(join(STATE, 'images.json'), {});
    images[tag ?? 'unnamed:latest'] = { Id: 'sha256:' + randomBytes(32).toString('hex'), Created: now() };
    writeJson(join(STATE, 'images.json'), images);
    out(`#8 naming to docker.io/library/${tag} done\n#8 DONE 0.1s\n`);
    break;
  }
  case 'images': {
    const images = readJson(join(STATE, 'images.json'), {});
    out('REPOSITORY   TAG   IMAGE ID   CREATED   SIZE\n');
    for (const [ref, v] of Object.entries(images)) { const [r, t] = ref.split(':'); out(`${r}   ${t ?? 'latest'}   ${v.Id.slice(7, 19)}   now   1GB\n`); }
    break;
  }
  case 'exec': {
    // `exec -d NAME cmd...` records a detached workload (the vLLM launcher uses it); `exec NAME pgrep -f PATTERN` answers
    // whether that workload is alive; anything else runs nothing and succeeds.
    const detached = has(rest, ['-d', '--detach']);
    const args = rest.filter((a) => !['-d', '--detach', '-i', '-t', '-it'].includes(a));
    const [name, ...command] = args;
    const c = load(name);
    if (!c.State.Running) { err(`Error response from daemon: container ${c.Id} is not running\n`); process.exit(1); }
    if (detached) {
      c.Exec = { cmd: command, at: now(), dead: false };
      save(c);
      appendFileSync(logFile(name), `${now()} exec: ${command.join(' ').slice(0, 500)}\n`);
      break;
    }
    if (command[0] === 'pgrep') {
      const pattern = command[command.length - 1];
      const alive = c.Exec && !c.Exec.dead && c.Exec.cmd.join(' ').includes(pattern);
      if (alive) { out('42\n'); break; }
      process.exit(1);
    }
    break;
  }
  case '--version': case 'version':
    out('Docker version 28.2.2, build simulated\n');
    break;
  default:
    err(`docker: '${cmd}' is not a docker command (simulated).\n`);
    process.exit(125);
}
