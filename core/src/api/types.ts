/**
 * Public plugin API of Spark Control (types). This file, with the rest of `core/src/api`, is the ONLY part of the
 * kernel a plugin may import. Semver policy: see docs/plugins.md — removing or narrowing anything here is breaking.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { ShellCommand } from './shell.js';

// ───────────────────────────── manifest and definition ─────────────────────────────

/** Who the plugin is and what it needs; checked before anything of the plugin runs. */
export interface PluginManifest {
  /** `/^[a-z][a-z0-9-]{1,31}$/`, immutable; also the route prefix `/api/plugins/<id>` and the tile-tag prefix. */
  id: string;
  /** Human name shown on the plugins page. */
  name: string;
  /** The plugin's own semver version. */
  version: string;
  /** Semver range the plugin needs of the kernel's plugin API, e.g. `^2.0.0`. */
  apiVersion: string;
  description?: string;
  homepage?: string;
  /** Plugins that must be running before this one starts; only these (and `after`) may be `use()`d. */
  dependsOn?: string[];
  /** Plugins to start after when present; no failure when absent. */
  after?: string[];
  /** The upstream services this plugin talks to, with their default host and port (since API 1.2.0), e.g.
   *  `{ comfyui: { hostId: 'spark-1', port: 8188 } }`. `ctx.cluster.service(name)` falls back to them when
   *  config.json's `services` map does not name the service; the kernel itself knows no service. */
  services?: Record<string, ServiceDeclaration>;
}

/** Where a plugin's service runs unless config.json's `services` map says otherwise. */
export interface ServiceDeclaration {
  hostId: string;
  port: number;
  /** What the service holds of its host's memory while it runs, in GB (since API 2.0.0): plugins that budget a
   *  Spark's memory leave this much to it. */
  memoryGB?: number;
}

/** A running plugin's service that holds memory on a host (`ServiceDeclaration.memoryGB`), where the topology puts it. */
export interface MemoryReservation {
  service: string;
  plugin: string;
  hostId: string;
  memoryGB: number;
}

/** A fake upstream a plugin brings for the simulated cluster (started only when the kernel simulates). */
export interface SimulatedService {
  /** Service name in the topology's service map, e.g. `comfyui`. */
  service: string;
  /** Host id it pretends to run on (e.g. `spark-1`). */
  hostId: string;
  /** Starts the fake on 127.0.0.1 (port 0 = any free port); returns the port it listens on. Optional (API 1.2): a
   *  simulator may only seed files, e.g. a container that already runs and serves nothing the kernel calls. */
  start?(env: SimEnv): Promise<{ port: number; close(): Promise<void> }>;
  /** Plants this plugin's files on one simulated Spark before its SSH server accepts connections, on every start of
   *  the simulated cluster and for every host (API 1.2). Keep it idempotent: a kept data dir is seeded again. */
  seedHost?(host: SimHostSeed): void | Promise<void>;
}

/** One simulated Spark as a simulator's `seedHost` sees it. */
export interface SimHostSeed {
  hostId: string;
  /** The host's fake root, also the SSH user's $HOME: write files relative to it. */
  root: string;
  /** Every simulated host's id, in order (`spark-1`, `spark-2`…). */
  hostIds: string[];
  /** `npm start`'s demo: seed what already runs on an owner's Sparks. False in tests, which start with nothing running. */
  demo: boolean;
  /** Leaves a container in the fake docker as `docker run -d` would have, unless one by that name exists. */
  addContainer(c: SimContainer): void;
  /** Installs a fake command (e.g. a vendor CLI) on this Spark's PATH, in `~/.local/bin`: `name` runs `node <script>`
   *  with the same arguments. Give an absolute path, e.g. `fileURLToPath(new URL('./cli.mjs', import.meta.url))`. */
  installTool(name: string, script: string): void;
}

/** A container for {@link SimHostSeed.addContainer}: what `docker inspect` and `docker ps` will show. */
export interface SimContainer {
  name: string;
  image: string;
  /** The container's command (`docker run <image> <cmd…>`). */
  cmd: string[];
  /** The `docker run` flags it was started with (`--network host`…). */
  runArgs?: string[];
  restartPolicy?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** When it started (default now). */
  startedAt?: Date;
  /** A `docker exec -d` still running in it. */
  exec?: string[];
  /** Lines already in `docker logs`. */
  logLines?: string[];
}

/** What a simulator gets when the kernel starts it. */
export interface SimEnv {
  /** Scratch state directory for this simulator (inside the sim's data dir). */
  stateDir: string;
  /** Per-host fake root directory (bash runs there for SSH execs): `hostRoots[hostId]`. */
  hostRoots: Record<string, string>;
  log: Logger;
}

/** What you pass to `defineSparkPlugin`. */
export interface SparkPluginDefinition<S extends z.ZodType = z.ZodType> {
  manifest: PluginManifest;
  /** Every field has a default: `configSchema.parse({})` must succeed. Mark secrets with `.meta({ secret: true })`. */
  configSchema: S;
  /** Declare only (routes, health checks, tiles, jobs, hooks); no network I/O here — do I/O in `lifecycle.onStart`. */
  register(ctx: PluginContext<z.output<S>>): void | Promise<void>;
  /** Fakes for `npm start` on the simulated cluster and for tests. */
  simulators?: SimulatedService[];
}

/** A branded plugin definition: the default export of a plugin module. */
export interface SparkPlugin<S extends z.ZodType = z.ZodType> extends SparkPluginDefinition<S> {
  readonly $$type: 'spark-control/plugin@1';
}

// ───────────────────────────── context ─────────────────────────────

/** `ctx`: everything a plugin can use, scoped to it (its routes, config slice, logs, checks, jobs). Created fresh on every (re)start. */
export interface PluginContext<C = unknown> {
  readonly id: string;
  /** Directory owned by this plugin under the data dir (created before register). */
  readonly dataDir: string;
  /** True when the kernel runs against the simulated cluster. */
  readonly simulated: boolean;
  config: PluginConfig<C>;
  log: Logger;
  cluster: ClusterView;
  ssh: SshService;
  http: HttpService;
  events: EventBus;
  jobs: JobService;
  health: HealthService;
  /** Routes under `/api/plugins/<id>`. */
  routes: PluginRouter;
  /** Routes under a public prefix the plugin reserves, e.g. `/v1/audio`, `/scrub`. Longest prefix wins; equal prefixes clash.
   *  `defaults` apply to every route added through the returned router (a route's own field wins). */
  publicRoutes(prefix: `/${string}`, defaults?: RouteDefaults): PluginRouter;
  tiles: { register(tile: TileSpec): void };
  /** Full dashboard pages and sections on them (since API 2.1.0): see `PageSpec` and `PageSectionSpec`. */
  pages: {
    /** A page per value of a series label, at `#/<kind>/<value>`. */
    register(page: PageSpec): void;
    /** A section on a page of any plugin's kind (shown while both plugins run). */
    section(section: PageSectionSpec): void;
  };
  lifecycle: {
    /** I/O allowed. Throw `NotReadyError` to be retried with backoff. */
    onStart(fn: () => Promise<void> | void): void;
    onStop(fn: () => Promise<void> | void): void;
  };
  /** Cleanup run LIFO when the plugin stops (timers, sockets, child processes). */
  onDispose(fn: () => Promise<void> | void): void;
  /** Timers owned by this instance (since API 1.2.0): cleared when it stops or crashes, never keeping the process alive. */
  timers: PluginTimers;
  /** Offer an extension point (typed hooks or an API object) to plugins that depend on this one. */
  provide<T>(point: ExtensionPoint<T>, impl: T): void;
  /** Use another plugin's extension point; only for ids in `dependsOn` / `after`. Returns undefined when absent. */
  use<T>(point: ExtensionPoint<T>): T | undefined;
  /** Versioned JSON state in your data dir, written atomically (since API 1.2.0): `ctx.store('catalog', { version: 2,
   *  migrate: (old, from) => … })`. `key` is `<segment>[/<segment>…]` of `a-z 0-9 . _ -`; the file is `<key>.json`. */
  store<T>(key: string, opts: StoreOptions<T>): JsonStore<T>;
  /** Time series the kernel keeps for the dashboard's plots (5 s for 24 h, 5-min averages for 30 days, persisted). */
  history: HistoryApi;
  /** Your own Prometheus metrics on the kernel's `/metrics`, named `spark_<plugin>_<name>` (since API 1.3.0). */
  metrics: PluginMetrics;
}

/** `ctx.metrics`. Names match `[a-z][a-z0-9_]{0,63}`; label values must be few (ids, states), never request data:
 *  past 200 label sets a metric records nothing more. */
export interface PluginMetrics {
  /** A counter (`..._total` by convention). */
  inc(name: string, help: string, labels?: Record<string, string>, by?: number): void;
  /** A histogram in milliseconds (the kernel's buckets, 5 ms to 30 s). */
  observe(name: string, help: string, labels: Record<string, string>, ms: number): void;
  /** A gauge read at each scrape. */
  gauge(name: string, help: string, read: () => Array<[Record<string, string>, number]>): void;
}

/** `ctx.history`: declare series the kernel samples every 5 s, and mark events to draw on the time axis. */
export interface HistoryApi {
  /** `name`: `[a-z][a-z0-9_]{0,63}`; `sample()` returns a number, or one per label set (`[{ labels: { host }, value }]`);
   *  null/undefined leaves a gap. Dropped when the plugin stops. */
  series(spec: HistorySeriesSpec): void;
  /** An event at this moment (kind e.g. `swap`, `load`), shown on the plugin's plots. */
  mark(kind: string, text: string): void;
}

export interface HistorySeriesSpec {
  name: string;
  help?: string;
  unit?: string;
  sample(): number | null | undefined | Array<{ labels: Record<string, string>; value: number | null | undefined }>;
}

/** Options of `ctx.store`. */
export interface StoreOptions<T> {
  /** Version of the data this code writes (whole number ≥ 1). A file holding an older version goes through `migrate`. */
  version: number;
  /** Upgrades data of an older version (`fromVersion` 0 = a plain JSON file written before the store) to `version`.
   *  The upgraded data reaches the file with the next `write`. A newer version than `version` is refused. */
  migrate?(data: unknown, fromVersion: number): T;
  /** File extension (default `.json`), e.g. `.bin` with a codec. */
  extension?: string;
  /** Turns the JSON text into the bytes on disk and back (e.g. encryption at rest). */
  codec?: { encode(text: string): Buffer; decode(raw: Buffer): string };
}

/** One versioned JSON file (`ctx.store`). */
export interface JsonStore<T> {
  readonly key: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** The data (migrated when the file is older), or undefined when nothing is stored. Throws a SparkError
   *  `SPK_STORE_UNREADABLE` / `SPK_STORE_VERSION` when the file cannot be used. */
  read(): T | undefined;
  /** Replaces the data atomically (temp file, fsync, rename): a crash leaves the old or the new content. Writes run in
   *  call order, one at a time. */
  write(data: T): Promise<void>;
  remove(): Promise<void>;
  /** Resolves when every write called so far is on disk (the kernel flushes your stores when the plugin stops). */
  flush(): Promise<void>;
}

/** `ctx.timers`: like `setTimeout`/`setInterval`, but a throw (or a rejected promise) in the callback is this
 *  plugin's crash, not the process's, and the timer is cleared with the plugin. Each returns its cancel function. */
export interface PluginTimers {
  setTimeout(fn: () => unknown, ms: number): () => void;
  setInterval(fn: () => unknown, ms: number): () => void;
}

/** Your settings slice, parsed by your `configSchema`. */
export interface PluginConfig<C> {
  /** Current parsed slice (defaults applied). */
  get(): C;
  /** Called after a validated change was persisted. Returns an unsubscribe function. */
  watch(fn: (next: C, prev: C) => void | Promise<void>): () => void;
  /** Validates (400 with field errors on failure), persists atomically, then notifies watchers. */
  update(patch: Partial<C>): Promise<C>;
}

/** Structured JSON logs; fields whose key looks like a secret are redacted. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

// ───────────────────────────── cluster topology ─────────────────────────────

/** One Spark of the cluster (from the kernel config, or a simulated one). */
export interface HostInfo {
  id: string;
  name: string;
  address: string;
  sshUser: string;
  sshPort: number;
  /** Address on the direct link between the Sparks, where the owner set one (multi-node launches use it). */
  linkAddress?: string;
}

/** Where a service runs, as `ctx.cluster.service()` resolves it. */
export interface ServiceEndpoint {
  service: string;
  hostId: string;
  host: HostInfo;
  port: number;
  /** `http://<address>:<port>` */
  baseUrl: string;
}

/** The topology: hosts and the service map. */
export interface ClusterView {
  hosts(): HostInfo[];
  host(id: string): HostInfo | undefined;
  /** Where a service runs: config.json's service map, else `defaults`, else your `manifest.services` entry. Throws a
   *  503 SparkError if none names a configured host. */
  service(name: string, defaults?: { hostId?: string; port?: number }): ServiceEndpoint;
  /** Every running plugin's services that declare `memoryGB`, on the host the topology maps each to now (API 2.0.0). */
  memoryReservations(): MemoryReservation[];
  /** Called after the topology changed (hosts or service map). */
  watch(fn: () => void): () => void;
}

// ───────────────────────────── SSH ─────────────────────────────

/** An argv array (each element quoted) or an `sh`/`rawShell` command. */
export type SshCommand = string[] | ShellCommand;

/** Options of `ctx.ssh.exec`. */
export interface SshExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  stdin?: string | Buffer;
  /** Log in as another user on that host (e.g. the bot user), optionally with its own private key file. */
  as?: { user: string; privateKeyPath?: string };
  /** Do not log the command line (it carries a secret). */
  sensitive?: boolean;
}

/** Outcome of a remote command that ran (a non-zero `code` is not an error). */
export interface SshResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
  durationMs: number;
}

/** Options of `ctx.ssh.stream`: output callbacks on top of the exec options. */
export interface SshStreamOptions extends SshExecOptions {
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
  /** Called per complete line of stdout+stderr (interleaved as they arrive). */
  onLine?(line: string, stream: 'stdout' | 'stderr'): void;
}

/** A transport transition seen by the SSH pool. */
export interface SshConnectionEvent {
  hostId: string;
  user: string;
  state: 'up' | 'down';
  reason?: string;
  at: string;
}

/** Commands on a Spark over the pooled, host-key-pinned SSH connection. */
export interface SshService {
  /** Runs a command (argv quoted by the kernel's one audited quoting function). Rejects with a SparkError on
   *  connect/auth failure (502), timeout (504) or abort; a non-zero exit code is a normal result. */
  exec(hostId: string, cmd: SshCommand, opts?: SshExecOptions): Promise<SshResult>;
  /** Like exec but delivers output as it arrives; abort the signal to kill the remote process. */
  stream(hostId: string, cmd: SshCommand, opts?: SshStreamOptions): Promise<SshResult>;
  /** Connection up/down transitions seen by the transport (keepalive, close), for the connectivity log. */
  onConnectionChange(fn: (e: SshConnectionEvent) => void): () => void;
  /** Public key (OpenSSH format) of the service's own key pair. */
  publicKey(): string;
  /** Host-key pinning state; `trust` replaces a pinned key after a change. */
  hostKeys: {
    list(): Array<{ hostId: string; fingerprint: string; pinnedAt: string; mismatch?: { fingerprint: string; seenAt: string } }>;
    trust(hostId: string): Promise<void>;
    /** The host's pinned key as a known_hosts/authorized_keys line would carry it (`ssh-ed25519 AAAA…`), or
     *  undefined before the first connection; e.g. to tell one Spark the host key of another (since API 1.1.0). */
    publicKey(hostId: string): string | undefined;
  };
  /** Installs the service key into ~/.ssh/authorized_keys using a one-time password (never stored or logged). */
  installKey(hostId: string, password: string, opts?: { timeoutMs?: number }): Promise<{ added: boolean }>;
}

// ───────────────────────────── HTTP client + proxy ─────────────────────────────

/** An upstream HTTP service, as named in errors and metrics. */
export interface UpstreamRef {
  /** Service name used in error messages and metrics (e.g. `comfyui`). */
  service: string;
  /** Host id used in error messages. */
  hostId?: string;
  baseUrl: string;
}

/** Options of `ctx.http.request`/`fetchJson`. */
export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** JSON-serialisable value (sent as application/json) or a raw body. */
  json?: unknown;
  body?: string | Buffer | Uint8Array | Readable;
  query?: Record<string, string | number | boolean | undefined>;
  /** Whole-request timeout; required in spirit: default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** An upstream answer with its body still streaming. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** Options of `ctx.http.proxy`. */
export interface ProxyOptions {
  /** Path + query on the upstream; default: the incoming path with the route's public prefix kept. */
  path?: string;
  /** Headers-received timeout (default 30 s); the body streams without a total cap unless `bodyTimeoutMs`. */
  timeoutMs?: number;
  /** Max idle time between body chunks (default 5 min). */
  bodyTimeoutMs?: number;
  /** Override the request body (e.g. an already-parsed JSON body re-serialised). */
  body?: string | Buffer | Readable;
  /** Extra/overriding request headers. */
  headers?: Record<string, string>;
  /** Error envelope style for upstream failures. */
  errorStyle?: 'problem' | 'openai';
  /** Sees, and may rewrite, the upstream's answer body on its way to the client (since API 1.3.0), e.g. to read a
   *  count the answer carries. Called once the upstream's head is in; return undefined to leave this answer alone. */
  tapBody?(statusCode: number, contentType: string | undefined): ProxyBodyTap | undefined;
}

/** What `ProxyOptions.tapBody` returns: called with each body chunk as it arrives, before the client gets it. */
export interface ProxyBodyTap {
  /** Return what the client gets instead of `chunk` (an empty buffer sends nothing now), or undefined to send it as is. */
  data(chunk: Buffer): Buffer | undefined;
  /** Called once: `complete` true when the whole answer arrived (bytes returned then go out last), false when it broke
   *  off or the client left (the return value is ignored). */
  end?(complete: boolean): Buffer | undefined;
  /** `data`/`end` may change the body's length: the upstream's Content-Length is not forwarded (the answer goes chunked). */
  rewrites?: boolean;
}

/** Upstream HTTP with timeouts and uniform 502/503/504 errors. */
export interface HttpService {
  /** Sends a request; the body is a stream the caller must consume or destroy. Upstream failures become SparkErrors
   *  502 (refused/garbage), 503 (unreachable), 504 (timeout) naming service and host. */
  request(upstream: UpstreamRef, path: string, opts?: HttpRequestOptions): Promise<HttpResponse>;
  /** Sends a request and validates the JSON answer with a zod schema (502 on schema mismatch or non-2xx). */
  fetchJson<T extends z.ZodType>(upstream: UpstreamRef, path: string, schema: T, opts?: HttpRequestOptions): Promise<z.output<T>>;
  /** As `fetchJson`, with the answer's text beside the validated value, for a caller that passes parts of the answer on
   *  as they came instead of serialising them again (since 2.1.0). */
  fetchJsonText<T extends z.ZodType>(upstream: UpstreamRef, path: string, schema: T, opts?: HttpRequestOptions): Promise<{ value: z.output<T>; text: string }>;
  /** Streams the current request to the upstream and the answer back (SSE/chunked untouched, client abort aborts upstream). */
  proxy(route: RouteContext, upstream: UpstreamRef, opts?: ProxyOptions): Promise<void>;
}

// ───────────────────────────── routes ─────────────────────────────

/** Methods a plugin route can declare. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What an API key may call. `admin`: everything. `inference`: the routes declared `scope: 'inference'` (any method).
 *  `read`: every GET that is not declared `scope: 'admin'`. A key holds one or more. */
export type ClientScope = 'admin' | 'inference' | 'read';

/** The client a request came from. */
export interface RequestClient {
  /** Stable id: `c_…` for a client with a key, `admin` (the configured token), `dashboard` (a browser session), or
   *  `anon:<label>` when no key was sent (the `X-Client-Name` header, else the source address). */
  readonly id: string;
  readonly name: string;
  readonly kind: 'key' | 'token' | 'session' | 'anonymous';
  readonly scopes: readonly ClientScope[];
  /** Higher is served first by queues that honour it (default 0, range -100..100). */
  readonly priority: number;
  /** May this client use `item` of the named allow list (`allows('voices', id)`)? True when it has no such list. */
  allows(list: string, item: string): boolean;
}

/** Route fields a router applies to every route added through it (see `publicRoutes`). */
export interface RouteDefaults {
  scope?: ClientScope;
}

/** Declaration of one route: path, schemas, body handling, error style. */
export interface RouteSpec<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined> {
  method: HttpMethod;
  /** Path relative to the router's prefix, `@koa/router` 15 syntax (`/items/:id`, `/*rest`). `''` = the prefix itself. */
  path: string;
  summary?: string;
  /** JSON body schema (415 unless JSON, 413 over `maxBodyBytes`, 400 with field errors). */
  body?: B;
  query?: Q;
  params?: P;
  /** `raw`: the kernel does not read the body (multipart, uploads, proxying). Default `json` when `body` is set. */
  bodyMode?: 'json' | 'raw';
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Route carries private data: the kernel logs no query string, and error bodies never echo input values. */
  sensitive?: boolean;
  /** Error envelope for this route: OpenAI-compatible routes keep OpenAI's `{error:{message,type,code}}`. */
  errorStyle?: 'problem' | 'openai';
  /** Response schema for the OpenAPI document only. */
  response?: z.ZodType;
  /** The status `response` is documented under, when the route's success is not a 200 (201 created, 202 a job). */
  responseStatus?: 200 | 201 | 202;
  /** Allowed without the bearer token when auth is on (only health-style routes). */
  unauthenticated?: boolean;
  /** The least scope a key needs (see ClientScope). Default: `read` for GET, `admin` otherwise. Declare
   *  `inference` on the routes programs call to use a service (completions, transcription, search, scrub…). */
  scope?: ClientScope;
  /** Extra body/query fields pass on untouched, because a published protocol says so (OpenAI-shaped bodies proxied
   *  upstream). Otherwise a field the schemas do not declare is a 400 naming it. Shown as `x-passthrough` in OpenAPI. */
  passthrough?: boolean;
}

/** Parsed type of an optional route schema. */
export type Out<T> = T extends z.ZodType ? z.output<T> : undefined;
/** Parsed type of a route schema, or the raw strings when the route declares none. */
export type OutOr<T, Raw> = T extends z.ZodType ? z.output<T> : Raw;
/** Path params when the route declares no `params` schema. */
export type RawParams = Record<string, string>;
/** Query when the route declares no `query` schema. */
export type RawQuery = Record<string, string | string[] | undefined>;

/** What a route handler gets: parsed input plus the raw request for streaming and proxying. */
export interface RouteContext<B = unknown, Q = unknown, P = unknown> {
  body: B;
  query: Q;
  params: P;
  requestId: string;
  /** Aborted when the client disconnects before the response finished. */
  signal: AbortSignal;
  log: Logger;
  req: IncomingMessage;
  res: ServerResponse;
  /** Incoming path (no query string) and the raw query string (without `?`). */
  path: string;
  search: string;
  headers: Record<string, string | string[] | undefined>;
  /** Who sent this request (a key's client, the admin token, a dashboard session, or an anonymous label). */
  readonly client: RequestClient;
  /** Counts usage for this request's client under this plugin, per day: `c.usage({ prompt_tokens: 12 }, subject)`.
   *  Counter names match `[a-z][a-z0-9_]{0,47}`; values are finite and ≥ 0 (others are dropped). May be called after
   *  the handler returned (when a stream ends). Written in batches off the request path. The kernel itself counts
   *  `requests` (subject '') on routes declared `scope: 'inference'`; the daily token limit reads `prompt_tokens` + `completion_tokens`. */
  usage(counters: Record<string, number>, subject?: string): void;
  /** Set status/headers for the return value. */
  status(code: number): void;
  setHeader(name: string, value: string): void;
  /** Respond with a stream (kept open until it ends or the client leaves). */
  stream(body: Readable, contentType: string): void;
  /** Turn this response into an SSE stream: returns a sender; heartbeat and cleanup are handled. */
  sse(): SseSender;
}

/** Returned by `c.sse()`. */
export interface SseSender {
  send(event: string, data: unknown, id?: string): void;
  comment(text: string): void;
  close(): void;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** A route handler; its return value is sent as JSON. */
export type RouteHandler<B, Q, P> = (c: RouteContext<B, Q, P>) => unknown | Promise<unknown>;

/** `ctx.routes` and `ctx.publicRoutes(prefix)`. */
export interface PluginRouter {
  /** Handler returns a JSON-able value (200 unless `c.status()`), or undefined after using `c.stream`/`c.sse`/proxy. */
  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q, P>,
    handler: RouteHandler<Out<B>, OutOr<Q, RawQuery>, OutOr<P, RawParams>>,
  ): void;
}

// ───────────────────────────── tiles ─────────────────────────────

/** A dashboard tile (one custom element from your UI dir). */
export interface TileSpec {
  /** Custom element tag, must start with `spark-<id>-`. */
  tag: `spark-${string}-${string}`;
  /** Module path relative to the plugin's UI dir (served at `/plugins/<id>/ui/`). */
  module: string;
  title: string;
  /** Grid columns 1–4 (default 1). */
  cols?: 1 | 2 | 3 | 4;
  order?: number;
  /** Hide the tile (e.g. feature disabled by config); re-evaluated on every `/api/ui/tiles` call. */
  hidden?: () => boolean;
}

// ───────────────────────────── pages ─────────────────────────────

/** A kind of full dashboard page (since API 2.1.0): one page per value of a series label, at `#/<kind>/<value>`,
 *  charting every history series carrying that label with every plugin's events marked, then the sections plugins
 *  add to it. Kinds are unique across running plugins. */
export interface PageSpec {
  /** The hash route's first segment, `/^[a-z][a-z0-9-]{1,31}$/`. */
  kind: string;
  /** The series label whose values name the pages, e.g. `host`. */
  label: string;
  /** What one page is about, shown before its value ("Spark" → "Spark spark-1"). */
  title: string;
  /** The heading of the links to the kind's other pages. */
  others: string;
}

/** A section of a page kind (since API 2.1.0): one custom element from your UI dir, given the page's `value` (the
 *  label's value) and `minutes` (the window the owner picked) as properties. */
export interface PageSectionSpec {
  /** The page kind it goes on; another plugin's kind shows it only while that plugin runs. */
  kind: string;
  /** Custom element tag, must start with `spark-<id>-`. */
  tag: `spark-${string}-${string}`;
  /** Module path relative to the plugin's UI dir (often the tile's module, which defines both). */
  module: string;
  order?: number;
  /** Hide the section (e.g. feature disabled by config); re-evaluated on every `/api/ui/pages` call. */
  hidden?: () => boolean;
}

// ───────────────────────────── health ─────────────────────────────

/** Result of one health check. */
export type HealthStatus = 'up' | 'degraded' | 'down';

/** What a check returns. */
export interface HealthCheckResult {
  status: HealthStatus;
  detail?: string;
  data?: Record<string, unknown>;
}

/** A scheduled health check (`ctx.health.register`). */
export interface HealthCheckSpec {
  /** Unique within the plugin, e.g. `comfyui`, `host:spark-1`. */
  name: string;
  /** Shown in the connectivity log, e.g. `spark-2`. */
  hostId?: string;
  service?: string;
  intervalMs?: number;
  /** Required (default 3 s); a check that overruns is `down` with detail `timeout`. */
  timeoutMs?: number;
  /** Counts toward overall `/health` (default false). */
  critical?: boolean;
  check(signal: AbortSignal): Promise<HealthCheckResult>;
}

/** Last result of a check, as `/api/health` shows it. */
export interface HealthEntry extends HealthCheckResult {
  plugin: string;
  name: string;
  hostId?: string;
  service?: string;
  since: string;
  checkedAt: string;
}

/** `ctx.health`: register checks, push results, read the connectivity log. */
export interface HealthService {
  register(spec: HealthCheckSpec): void;
  /** Push a state change seen outside a scheduled check (e.g. the transport dropped). `meta` names the host/service
   *  for the connectivity log when `name` is not a registered check. */
  report(name: string, result: HealthCheckResult, meta?: { hostId?: string; service?: string }): void;
  /** Run a check now (e.g. right after an action). */
  runNow(name: string): Promise<HealthEntry | undefined>;
  get(name: string): HealthEntry | undefined;
  list(): HealthEntry[];
  /** Connectivity log: persisted up/down transitions of every check (all plugins), newest last. */
  transitions(opts?: { limit?: number; hostId?: string }): HealthTransition[];
}

/** One up/down change in the connectivity log. */
export interface HealthTransition {
  plugin: string;
  name: string;
  hostId?: string;
  service?: string;
  from: HealthStatus | 'unknown';
  to: HealthStatus;
  at: string;
  /** How long the previous state lasted. */
  durationMs?: number;
  detail?: string;
}

// ───────────────────────────── events ─────────────────────────────

/** An event on the bus (and on `/api/events`). */
export interface SparkEvent<T = unknown> {
  type: string;
  plugin?: string;
  at: string;
  data: T;
}

/** `ctx.events`: namespaced events for other plugins and the browser. */
export interface EventBus {
  /** Type must start with `<plugin id>.`; goes to SSE subscribers of `/api/events`. */
  emit(type: string, data: unknown): void;
  /** Subscribe to every event whose type starts with `prefix` ('' = all). */
  on(prefix: string, fn: (e: SparkEvent) => void): () => void;
}

// ───────────────────────────── jobs ─────────────────────────────

/** Lifecycle of a one-off job. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A job as `/api/jobs` shows it. */
export interface JobSnapshot {
  id: string;
  plugin: string;
  kind: string;
  title: string;
  state: JobState;
  phase?: string;
  phases?: string[];
  progress?: number;
  startedAt: string;
  endedAt?: string;
  phaseStartedAt?: string;
  error?: { code: string; message: string; phase?: string };
  logTail: string[];
  result?: unknown;
  meta?: Record<string, unknown>;
}

/** What a running job uses to report phases, progress and log lines. */
export interface JobHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  phase(name: string): void;
  progress(fraction: number): void;
  log(line: string): void;
  setMeta(meta: Record<string, unknown>): void;
}

/** A long task with phases, progress, log tail and cancel (`ctx.jobs.start`). */
export interface OneOffJobSpec<R> {
  kind: string;
  title: string;
  phases?: string[];
  /** Hard cap; the job is cancelled (failed with SPK_JOB_TIMEOUT) after it. */
  timeoutMs?: number;
  /** Lines kept in the tail (default 200). */
  logTailLines?: number;
  meta?: Record<string, unknown>;
  run(job: JobHandle): Promise<R>;
}

/** A periodic task that never overlaps itself (`ctx.jobs.schedule`). */
export interface ScheduledJobSpec {
  name: string;
  everyMs: number;
  timeoutMs?: number;
  initialDelayMs?: number;
  run(signal: AbortSignal): Promise<void>;
}

/** `ctx.jobs`. */
export interface JobService {
  /** Starts a one-off job; returns its snapshot at once (the job runs in the background). */
  start<R>(spec: OneOffJobSpec<R>): JobSnapshot;
  /** Resolves when the job ends. */
  wait(id: string): Promise<JobSnapshot>;
  get(id: string): JobSnapshot | undefined;
  list(kind?: string): JobSnapshot[];
  cancel(id: string, reason?: string): boolean;
  /** Runs `run` every `everyMs`, never overlapping itself; cancelled on stop. */
  schedule(spec: ScheduledJobSpec): { trigger(): Promise<void>; stop(): void };
}

// ───────────────────────────── extension points ─────────────────────────────

/** A typed handle made with `defineExtensionPoint`, offered with `ctx.provide` and read with `ctx.use`. */
export interface ExtensionPoint<T> {
  readonly id: string;
  readonly $$type: 'spark-control/extension-point@1';
  /** Phantom field carrying T. */
  readonly T?: T;
}

// ───────────────────────────── simulated cluster control (kernel extension point) ─────────────────────────────

/** The simulated cluster, through `ctx.use(simControlPoint)` (only when simulating). */
export interface SimControl {
  hosts(): HostInfo[];
  /** Per-host fake root directory (bash runs there). */
  hostRoot(hostId: string): string;
  /** Take a simulated Spark off the network (connections dropped, new ones refused) or bring it back. */
  setHostDown(hostId: string, down: boolean): Promise<void>;
  isHostDown(hostId: string): boolean;
}
