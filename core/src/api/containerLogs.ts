import { z } from 'zod';
import { ClientSlots } from './clientSlots.js';
import { codes } from './codes.js';
import { SparkError } from './errors.js';
import { sh } from './shell.js';
import type { PluginRouter, RouteContext, SshExecOptions, SshService } from './types.js';

/** A docker container name as `docker run --name` takes it; checked again right before it goes into a command, so a
 *  name that reached the config some other way is refused instead of sent. */
export const SAFE_CONTAINER_NAME: RegExp = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** A config field holding a docker container name (for a plugin's settings), refused unless {@link SAFE_CONTAINER_NAME}. */
export function containerNameField(defaultName: string, description: string): z.ZodDefault<z.ZodString> {
  return z.string().regex(SAFE_CONTAINER_NAME, 'letters, digits, _ . - (docker container name)').default(defaultName).describe(description);
}
/** A key naming one of a plugin's containers in a path (`/logs/<key>/follow`). */
export const LOG_CONTAINER_KEY: RegExp = /^[a-z][a-z0-9-]{0,31}$/;
/** Each follower is a remote `docker logs -f` (and its SSH channel) for as long as the client listens. */
export const LOG_FOLLOWERS_PER_CLIENT = 4;
export const LOG_FOLLOWERS_TOTAL = 16;
/** A follow ends by itself after this long (the client reconnects if it still wants the log). */
const FOLLOW_MAX_MS = 6 * 3600_000;
const TAIL_TIMEOUT_MS = 15_000;

/** Where a container runs and its docker name. */
export interface LogContainer {
  hostId: string;
  container: string;
}

/** What {@link containerLogRoutes} takes besides which containers. */
export interface ContainerLogRoutesBase {
  ssh: SshService;
  /** Path of the routes under the router; default `/logs`. */
  path?: string;
  /** The cap on open followers. Pass one shared by every call of a plugin so the cap covers all its logs; default a
   *  new one of {@link LOG_FOLLOWERS_PER_CLIENT} per client and {@link LOG_FOLLOWERS_TOTAL} in all. */
  followers?: ClientSlots;
  /** Options of every remote command (e.g. `as` another user); the tail's timeout defaults to 15 s. */
  sshOptions?: () => SshExecOptions;
  /** Runs first in every route: throw a SparkError to refuse (e.g. the feature is switched off). */
  guard?: () => void;
  /** What the log is, for the API document ("the bot's container"). */
  what?: string;
  /** Which routes to add; default both. */
  tail?: boolean;
  follow?: boolean;
}

/** One container: `GET <path>` (the last lines) and `GET <path>/follow` (SSE). */
export interface OneContainerLogRoutes extends ContainerLogRoutesBase {
  container: () => LogContainer;
}

/** Several, by key: `GET <path>` lists them, `GET <path>/:container` and `GET <path>/:container/follow` read one. */
export interface ContainerSetLogRoutes extends ContainerLogRoutesBase {
  containers: () => Record<string, LogContainer>;
}

export type ContainerLogRoutesOptions = OneContainerLogRoutes | ContainerSetLogRoutes;

const linesQuery = z.object({ lines: z.coerce.number().int().min(1).max(5000).default(200).describe('How many of the last lines to send first') });
const keyParams = z.object({ container: z.string().regex(LOG_CONTAINER_KEY, 'lower-case letters, digits and -') });
/** The answer of the tail route. */
export const containerLogTailResponse: z.ZodType<{ lines: string[] }> = z.object({ lines: z.array(z.string()).describe('Oldest first, each with docker\'s timestamp') });
const listResponse = z.object({ containers: z.array(z.object({ key: z.string(), hostId: z.string(), container: z.string() })) });

/** The last line of docker's answer, short, for an error message. */
const lastLine = (text: string) => text.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? '';

/**
 * A container's log in the browser: the last N lines as JSON, and the last N then every new one over SSE (events
 * `line` {line}, `end` {code}, `error` {message}; what `<spark-log-viewer src>` reads). Closing the stream ends the
 * remote `docker logs -f`. Container names are checked against {@link SAFE_CONTAINER_NAME} and quoted by `sh`.
 * @example containerLogRoutes(ctx.routes, { ssh: ctx.ssh, containers: () => ({ db: { hostId: 'spark-2', container: 'db' } }) })
 */
export function containerLogRoutes(router: PluginRouter, opts: ContainerLogRoutesOptions): void {
  const path = opts.path ?? '/logs';
  const followers = opts.followers ?? new ClientSlots(codes.LOG_FOLLOWERS_FULL, 'log followers', LOG_FOLLOWERS_PER_CLIENT, LOG_FOLLOWERS_TOTAL);
  const what = opts.what ?? 'the container';
  const sshOptions = () => opts.sshOptions?.() ?? {};
  const checked = (c: LogContainer): LogContainer => {
    if (!SAFE_CONTAINER_NAME.test(c.container)) throw new SparkError(codes.LOG_CONTAINER_NAME, 'the configured container name is not a docker container name', { status: 500 });
    return c;
  };
  const byKey = (key: string): LogContainer => {
    const all = (opts as ContainerSetLogRoutes).containers();
    if (!Object.hasOwn(all, key)) {
      throw new SparkError(codes.LOG_CONTAINER_UNKNOWN, `no log named ${key}; there are: ${Object.keys(all).join(', ')}`, { status: 404, details: { errors: [{ field: 'params.container', message: `one of ${Object.keys(all).join(', ')}` }] } });
    }
    return checked(all[key]);
  };

  const tail = async (c: LogContainer, lines: number) => {
    const res = await opts.ssh.exec(c.hostId, sh`docker logs --tail ${lines} --timestamps ${c.container} 2>&1`, { timeoutMs: TAIL_TIMEOUT_MS, ...sshOptions() });
    if (res.code !== 0) {
      const why = lastLine(res.stdout);
      if (/no such container/i.test(why)) throw new SparkError(codes.LOG_CONTAINER_ABSENT, `there is no container ${c.container} on ${c.hostId}`, { status: 404 });
      throw new SparkError(codes.LOG_TAIL_FAILED, `docker logs ${c.container} on ${c.hostId} failed: ${why}`, { status: 502 });
    }
    return { lines: res.stdout.split('\n').filter(Boolean) };
  };

  const follow = (route: Pick<RouteContext, 'req' | 'sse'>, c: LogContainer, lines: number): undefined => {
    const release = followers.take(route.req.socket.remoteAddress ?? '');
    const sse = route.sse();
    sse.signal.addEventListener('abort', release, { once: true });
    const done = () => { sse.close(); release(); };
    opts.ssh.stream(c.hostId, sh`docker logs --tail ${lines} --timestamps --follow ${c.container} 2>&1`, {
      ...sshOptions(),
      timeoutMs: FOLLOW_MAX_MS,
      signal: sse.signal,
      onLine: (line) => sse.send('line', { line }),
    }).then(
      (res) => { sse.send('end', { code: res.code }); done(); },
      (e) => { if (!sse.signal.aborted) sse.send('error', { message: (e as Error).message }); done(); },
    );
    return undefined;
  };

  const tailSummary = `The last N lines of ${what}'s log (docker logs --tail N --timestamps)`;
  const followSummary = `${what.charAt(0).toUpperCase()}${what.slice(1)}'s log: the last N lines, then every new one over SSE (events line, end, error); closing the stream stops the remote docker logs`;
  if ('container' in opts) {
    if (opts.tail !== false) router.add({ method: 'GET', path, query: linesQuery, summary: tailSummary, response: containerLogTailResponse }, (c) => { opts.guard?.(); return tail(checked(opts.container()), c.query.lines); });
    if (opts.follow !== false) router.add({ method: 'GET', path: `${path}/follow`, query: linesQuery, summary: followSummary }, (c) => { opts.guard?.(); return follow(c, checked(opts.container()), c.query.lines); });
    return;
  }
  router.add({ method: 'GET', path, summary: `Which container logs there are (${what}), and where each runs`, response: listResponse }, () => {
    opts.guard?.();
    return { containers: Object.entries(opts.containers()).map(([key, c]) => ({ key, hostId: c.hostId, container: c.container })) };
  });
  if (opts.tail !== false) router.add({ method: 'GET', path: `${path}/:container`, params: keyParams, query: linesQuery, summary: tailSummary, response: containerLogTailResponse }, (c) => { opts.guard?.(); return tail(byKey(c.params.container), c.query.lines); });
  if (opts.follow !== false) router.add({ method: 'GET', path: `${path}/:container/follow`, params: keyParams, query: linesQuery, summary: followSummary }, (c) => { opts.guard?.(); return follow(c, byKey(c.params.container), c.query.lines); });
}
