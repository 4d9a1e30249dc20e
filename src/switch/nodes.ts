// One inbound event-socket link per FreeSWITCH node: originates, uuid_* commands, registrations and call events.
// It implements SwitchControl for the agents' side and reconciles registrations after every (re)connect, because
// events sent while we were away are lost.
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { SwitchControl } from '../core/ports.js';
import type { FsNode } from '../db/repos/nodes.js';
import {
  InboundClient,
  type EslEvent,
  type EslResult,
  type JobResult,
  type WaitOptions,
} from '../esl/index.js';
import { registrationChange } from '../agents/registrations.js';
import { FsCommand, parseChannelRows, parseRegisteredUsers } from './fs-commands.js';
import { NodeReachability, type ReachabilityLog } from './node-reachability.js';

/**
 * Events our components read from every node (CUSTOM subclasses listed explicitly; ALL would flood us): the runner,
 * the dialler and recovery CHANNEL_HANGUP_COMPLETE, supervisor legs CHANNEL_BRIDGE, the agents the sofia
 * registrations. FreeSWITCH puts every channel variable in a channel event (a few KB each), so CHANNEL_CREATE,
 * CHANNEL_ANSWER and CHANNEL_UNBRIDGE, which nothing read, were three such events per leg parsed and dropped (issue
 * 21; a leg's own socket still has its ANSWER and UNBRIDGE).
 */
const NODE_EVENTS = [
  'CHANNEL_BRIDGE',
  'CHANNEL_HANGUP_COMPLETE',
  'BACKGROUND_JOB',
  'HEARTBEAT',
  'CUSTOM',
  'sofia::register',
  'sofia::unregister',
  'sofia::expire',
  'conference::maintenance',
] as const;

export interface NodeLinkEvents {
  event(nodeId: number, event: EslEvent): void;
  /**
   * After each (re)connect: the extensions FreeSWITCH has registered. `changedMeanwhile` are those whose
   * registration events arrived while the listing was on its way: the events are newer than the listing.
   */
  registrations(nodeId: number, usernames: string[], changedMeanwhile: ReadonlySet<string>): void;
  /** After each (re)connect: the node's live channels (`show channels as json`), for calls that outlived us. */
  channels?(nodeId: number, rows: Record<string, string>[]): void;
}

type Logger = ReachabilityLog;

export class NodeLinks implements SwitchControl {
  private readonly links = new Map<number, InboundClient>();
  /** Per node, while a registration listing is in flight: extensions whose registration changed meanwhile. */
  private readonly inFlight = new Map<number, Set<string>>();

  constructor(
    private readonly deps: {
      clock: Clock;
      metrics: Metrics;
      log: Logger;
      handlers: NodeLinkEvents;
      /** For tests: shorter backoff. */
      backoff?: { initialMs: number; maxMs: number };
    },
  ) {}

  start(nodes: FsNode[]): void {
    for (const node of nodes) {
      if (this.links.has(node.id)) continue;
      const client = new InboundClient({
        host: node.eslHost,
        port: node.eslPort,
        password: node.eslPassword,
        clock: this.deps.clock,
        backoff: this.deps.backoff,
      });
      const reachability = new NodeReachability(node, this.deps.log);
      client.on('connected', () => {
        this.deps.metrics.inc('esl.connects');
        reachability.connected();
        void this.reconcile(node.id);
        // Gateways added or changed while we were away, or before FreeSWITCH started, reach it only by a rescan
        // (sofia asks our sofia.conf for the external profile's gateways).
        void this.api(node.id, FsCommand.rescanGateways());
      });
      client.on('disconnected', ({ reason, retryInMs }) => {
        this.deps.metrics.inc('esl.disconnects');
        reachability.disconnected(reason, retryInMs);
      });
      client.on('auth-failed', ({ text, retryInMs }) => {
        this.deps.metrics.inc('esl.auth_failures');
        reachability.authFailed(text, retryInMs);
      });
      client.on('event', (e) => {
        try {
          const change = registrationChange(e);
          if (change) this.inFlight.get(node.id)?.add(change.username);
          this.deps.handlers.event(node.id, e);
        } catch (err) {
          this.deps.metrics.inc('esl.handler_errors');
          this.deps.log.warn({ err, event: e.name }, 'handling a FreeSWITCH event failed');
        }
      });
      void client.subscribe('plain', NODE_EVENTS);
      this.links.set(node.id, client);
      client.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.links.values()].map((c) => c.stop()));
    this.links.clear();
  }

  client(nodeId: number): InboundClient | undefined {
    return this.links.get(nodeId);
  }

  isConnected(nodeId: number): boolean {
    return this.links.get(nodeId)?.state === 'connected';
  }

  async api(nodeId: number, command: string, options?: WaitOptions): Promise<EslResult<string>> {
    const c = this.links.get(nodeId);
    if (!c) return { ok: false, error: { kind: 'closed', text: `no link to FreeSWITCH node ${nodeId}` } };
    this.deps.metrics.inc('esl.commands');
    const r = await c.api(command, options);
    if (!r.ok && r.error.kind === 'timeout') this.deps.metrics.inc('esl.timeouts');
    return r;
  }

  async bgapi(nodeId: number, command: string, options?: WaitOptions): Promise<EslResult<JobResult>> {
    const c = this.links.get(nodeId);
    if (!c) return { ok: false, error: { kind: 'closed', text: `no link to FreeSWITCH node ${nodeId}` } };
    this.deps.metrics.inc('esl.commands');
    return c.bgapi(command, options);
  }

  private async reconcile(nodeId: number): Promise<void> {
    const changed = new Set<string>();
    this.inFlight.set(nodeId, changed);
    const r = await this.api(nodeId, FsCommand.registrations());
    if (this.inFlight.get(nodeId) === changed) this.inFlight.delete(nodeId);
    if (r.ok) this.deps.handlers.registrations(nodeId, parseRegisteredUsers(r.value), changed);
    if (!this.deps.handlers.channels) return;
    const channels = await this.api(nodeId, FsCommand.showChannels());
    if (channels.ok) this.deps.handlers.channels(nodeId, parseChannelRows(channels.value));
    else this.deps.log.warn({ nodeId, error: channels.error }, 'show channels failed after connect');
  }

  async flushRegistration(nodeId: number, username: string, domain: string): Promise<void> {
    const r = await this.api(nodeId, FsCommand.flushRegistration(username, domain));
    if (!r.ok) throw new Error(`flush_inbound_reg ${username}: ${r.error.kind} ${r.error.text}`);
  }

  async hangupExtensionCalls(nodeId: number, username: string): Promise<void> {
    const r = await this.api(nodeId, FsCommand.showChannels());
    if (!r.ok) throw new Error(`show channels: ${r.error.kind} ${r.error.text}`);
    const mine = parseChannelRows(r.value).filter(
      (row) =>
        row.name?.includes(`/${username}@`) ||
        row.presence_id?.startsWith(`${username}@`) ||
        row.cid_num === username,
    );
    for (const row of mine) await this.api(nodeId, FsCommand.kill(row.uuid));
  }
}
