/**
 * Planning a swap: the upstream the model is served on, which Sparks a launch runs on (the head alone, or the head and
 * workers for tensor parallel across Sparks, each at its address on the link), and the preflight that checks the plan
 * on every one of them before anything is stopped. Nothing here changes a Spark.
 */
import { SparkError, type HostInfo, type JobHandle, type PluginContext, type ServiceEndpoint, type UpstreamRef } from '@spark-control/plugin-api';
import type { CatalogEntry } from '../catalog.js';
import type { VllmConfig } from '../config.js';
import { linkSshCheckCommand, linkSshRefusal, preflightCommand, preflightVerdict, type LaunchNodes } from '../launch.js';
import type { JobSsh } from './jobSsh.js';
import { slotConfig, slotOf } from './slot.js';

/** ActiveModel's `nodes` for a launch: set only when it runs across Sparks. */
export const nodesField = (n: LaunchNodes | undefined): { nodes?: string[] } => (n?.workers.length ? { nodes: [n.head.hostId, ...n.workers.map((w) => w.hostId)] } : {});

/** Every Spark of a launch needs an address of its own (the launcher's -n list, ssh from the head): refuses a plan where
 *  two share one, naming the field to set. */
function distinctAddresses(nodes: LaunchNodes): LaunchNodes {
  const all = [nodes.head, ...nodes.workers];
  const clash = all.find((n, i) => all.findIndex((m) => m.address === n.address) !== i);
  if (clash) {
    const first = all.find((m) => m.address === clash.address)!;
    throw new SparkError('VLLM_NODE_ADDRESS', `${first.hostId} and ${clash.hostId} have the same address (${clash.address}) for a launch across Sparks: set each Spark's link address to its address on the cable between the Sparks`, { status: 422, details: { field: 'linkAddress', host: clash.hostId } });
  }
  return nodes;
}

export class SwapPlan {
  constructor(private readonly ctx: PluginContext<VllmConfig>, private readonly slot = 1) {}

  /** Where this slot's vLLM answers (its port is the one `vllm serve` is launched with). */
  endpoint(): ServiceEndpoint {
    const s = slotOf(this.ctx.config.get(), this.slot);
    return this.ctx.cluster.service(s.service, { hostId: 'spark-1', port: s.port });
  }

  upstream(): UpstreamRef {
    const ep = this.endpoint();
    return { service: ep.service, hostId: ep.hostId, baseUrl: ep.baseUrl };
  }

  /** The Spark serving models (the head of every launch). */
  hostId(): string {
    return this.upstream().hostId!;
  }

  /** The Sparks a launch of `model` runs on: the head alone for tensor parallel 1; otherwise the other configured
   *  Sparks in their configured order, one GPU each, as many as it needs. Each is reached over the link between the
   *  Sparks at its link address (its SSH address when none is set), so two Sparks must not share one. */
  nodesFor(model: CatalogEntry): LaunchNodes {
    const { head, others } = this.sparks();
    const need = model.tensorParallel - 1;
    if (need <= 0) return { head, workers: [] };
    if (others.length < need) {
      const n = others.length + 1;
      throw new SparkError('VLLM_MULTI_NODE', `${model.name} is set to tensor parallel ${model.tensorParallel}, which needs ${model.tensorParallel} Sparks (one GPU each); ${n} ${n === 1 ? 'is' : 'are'} configured`, { status: 422, details: { field: 'tensorParallel' } });
    }
    return distinctAddresses({ head, workers: others.slice(0, need) });
  }

  /** The head and every other configured Spark (any of them may be a worker of a launch): what Link Sparks sets up. */
  allNodes(): LaunchNodes {
    const { head, others } = this.sparks();
    return distinctAddresses({ head, workers: others });
  }

  /** The head (the Spark serving models) and the other Sparks, each with its address on the link between them. */
  private sparks(): { head: LaunchNodes['head']; others: LaunchNodes['workers'] } {
    const headId = this.hostId();
    const hosts = this.ctx.cluster.hosts();
    // Plain addresses (an IPv6 one may be configured in brackets): the launcher's -n list and ssh take them bare.
    const node = (h: HostInfo) => ({ hostId: h.id, address: (h.linkAddress ?? h.address).replace(/^\[|\]$/g, '') });
    const head = hosts.find((h) => h.id === headId);
    return { head: head ? node(head) : { hostId: headId, address: '' }, others: hosts.filter((h) => h.id !== headId).map(node) };
  }

  /** nodesFor, or undefined where no launch could be planned (too few Sparks, a shared address): for following or
   *  taking over a model that is already running, where the plan only adds its workers. */
  plannedNodes(model: CatalogEntry): LaunchNodes | undefined {
    try { return this.nodesFor(model); } catch { return undefined; }
  }

  /** The Sparks other than the head that the active model (`activeNodes`), or a launch of `next`, runs on (their
   *  containers must go before a launch and after a failure). */
  workerHostsFor(activeNodes: string[] | undefined, next?: LaunchNodes): string[] {
    const head = this.hostId();
    const ids = new Set([...(activeNodes ?? []), ...(next?.workers.map((w) => w.hostId) ?? [])]);
    ids.delete(head);
    return [...ids];
  }

  /** Preflight: the Sparks of the launch (nodesFor), the model's files on each of them, and — across Sparks — the
   *  head's ssh to each worker over the link. Throws a 422 naming the Spark and the fix; nothing is stopped yet. */
  async preflight(ssh: JobSsh, job: JobHandle, model: CatalogEntry): Promise<LaunchNodes> {
    const cfg = slotConfig(this.ctx.config.get(), this.slot);
    // One GPU per Spark: tensor parallel N runs on N Sparks, each loading its shard from its own disk, so the model
    // must be on every one of them.
    const nodes = this.nodesFor(model);
    const onNodes = [nodes.head, ...nodes.workers];
    if (nodes.workers.length) job.log(`launch across ${onNodes.length} Sparks: ${onNodes.map((n, i) => `${n.hostId} (${i ? 'worker' : 'head'}, ${n.address})`).join(', ')}`);
    for (const n of onNodes) {
      const what = preflightVerdict((await ssh.exec(job, preflightCommand(cfg, model), 30_000, n.hostId)).stdout);
      if (what === 'ok') continue;
      const fix = n.hostId === this.hostId() ? 'press Download' : `press Download, which fetches it on ${n.hostId} too (each Spark loads its part from its own disk),`;
      throw new SparkError('VLLM_PREFLIGHT', model.localPath
        ? `${model.localPath} is not a usable model directory on ${n.hostId} (${what.replace('missing: ', 'missing ')})`
        : what === 'incomplete'
          ? `${model.repo} is only partly downloaded on ${n.hostId}; ${fix} to finish it (it resumes)`
          : `${model.repo} is not in the Hugging Face cache on ${n.hostId}; ${fix} first`, { status: 422, details: { host: n.hostId } });
    }
    for (const w of nodes.workers) {
      const refused = linkSshRefusal(await ssh.exec(job, linkSshCheckCommand(w.address), 20_000, nodes.head.hostId));
      if (refused === undefined) continue;
      const said = refused.slice(0, 200);
      throw new SparkError('VLLM_LINK_SSH', `${nodes.head.hostId} cannot ssh to ${w.hostId} at ${w.address} without a password (${said}); the launcher starts the worker's container that way: press Link Sparks (POST /api/plugins/vllm/link) once, which sets that up`, { status: 422, details: { host: w.hostId } });
    }
    job.log(`preflight ok: ${model.localPath ?? model.repo}${nodes.workers.length ? ` on ${onNodes.map((n) => n.hostId).join(' and ')}, and ${nodes.head.hostId} reaches ${nodes.workers.map((w) => w.hostId).join(', ')} by ssh over the link` : ''}`);
    return nodes;
  }
}
