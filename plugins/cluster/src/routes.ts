import { z } from 'zod';
import { HOST_ID, SparkError, authorizeKeyCommand, simControlPoint, type PluginContext } from '@spark-control/plugin-api';
import type { ClusterPluginConfig } from './config.js';
import type { ClusterPoller } from './poller.js';
import { connectivityResponse, hostSnapshot, hostsResponse, installKeyResponse, sshKeyResponse } from './responses.js';

const hostParams = z.object({ id: z.string().regex(HOST_ID, 'not a host id') });

/** The Sparks tile's routes: snapshots, polling one now, the service key and installing it, host-key trust, the
 *  connectivity log, and (simulated cluster only) cutting a host off. */
export function clusterRoutes(ctx: PluginContext<ClusterPluginConfig>, poller: ClusterPoller): void {
  const mustHost = (id: string) => {
    const h = ctx.cluster.host(id);
    if (!h) throw new SparkError('CLUSTER_UNKNOWN_HOST', `no host ${id} is configured`, { status: 404, details: { host: id } });
    return h;
  };
  /** The exact line an owner can paste on a Spark when they prefer not to type a password here. */
  const manualCommand = () => authorizeKeyCommand(ctx.ssh.publicKey()).text;

  const view = () => {
    const keys = new Map(ctx.ssh.hostKeys.list().map((k) => [k.hostId, k]));
    return ctx.cluster.hosts().map((h) => ({
      ...(poller.snapshots.get(h.id) ?? { hostId: h.id, name: h.name, address: h.address, reachable: false, since: undefined, pending: true }),
      name: h.name, address: h.address, sshUser: h.sshUser, sshPort: h.sshPort, linkAddress: h.linkAddress,
      hostKey: keys.get(h.id) ?? null,
    }));
  };

  ctx.routes.add({ method: 'GET', path: '/hosts', summary: 'Latest hardware snapshot of every Spark', response: hostsResponse }, () => ({ hosts: view(), simulated: ctx.simulated }));
  ctx.routes.add({ method: 'POST', path: '/hosts/:id/poll', params: hostParams, summary: 'Poll one Spark now', response: hostSnapshot }, async (c) => {
    mustHost(c.params.id);
    return poller.poll(c.params.id);
  });
  ctx.routes.add({ method: 'GET', path: '/ssh-key', summary: 'Public key of this service and the one-line manual install command', response: sshKeyResponse }, () => ({
    publicKey: ctx.ssh.publicKey(), manualCommand: manualCommand(),
  }));
  ctx.routes.add({
    method: 'POST', path: '/hosts/:id/install-key', params: hostParams, sensitive: true,
    body: z.object({ password: z.string().min(1, 'required').max(1024) }),
    summary: 'Install the service key with a one-time password (never stored or logged)', response: installKeyResponse,
  }, async (c) => {
    mustHost(c.params.id);
    const r = await ctx.ssh.installKey(c.params.id, c.body.password, { timeoutMs: 20_000 });
    void poller.poll(c.params.id).catch(() => {});
    return { hostId: c.params.id, added: r.added, message: r.added ? 'key installed' : 'key was already installed' };
  });
  ctx.routes.add({ method: 'POST', path: '/hosts/:id/trust-host-key', params: hostParams, summary: 'Accept a changed host key', response: hostSnapshot }, async (c) => {
    mustHost(c.params.id);
    await ctx.ssh.hostKeys.trust(c.params.id);
    return poller.poll(c.params.id);
  });
  ctx.routes.add({
    method: 'GET', path: '/connectivity', summary: 'Up/down transitions of every host and service', response: connectivityResponse,
    query: z.object({ limit: z.coerce.number().int().min(1).max(2000).optional(), hostId: z.string().max(32).optional() }),
  }, (c) => ({ transitions: ctx.health.transitions({ limit: c.query.limit ?? ctx.config.get().connectivityLimit, hostId: c.query.hostId }) }));

  // Simulated cluster only: take a fake Spark off the network and back (demo and tests).
  ctx.routes.add({ method: 'POST', path: '/sim/hosts/:id/:state', params: z.object({ id: hostParams.shape.id, state: z.enum(['down', 'up']) }), summary: 'Simulated cluster: cut or restore a host', response: hostSnapshot }, async (c) => {
    const sim = ctx.use(simControlPoint);
    if (!sim) throw new SparkError('CLUSTER_NOT_SIMULATED', 'only available on the simulated cluster', { status: 409 });
    mustHost(c.params.id);
    await sim.setHostDown(c.params.id, c.params.state === 'down');
    return poller.poll(c.params.id);
  });
}
