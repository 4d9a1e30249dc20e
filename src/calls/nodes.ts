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
import { FsCommand, parseChannelRows, parseRegisteredUsers } from './fs-commands.js';

/** Events our components need from every node (CUSTOM subclasses listed explicitly; ALL would flood us). */
export const NODE_EVENTS = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
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
  /** After each (re)connect: the extensions FreeSWITCH has registered right now. */
  registrations(nodeId: number, usernames: string[]): void;
}

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class NodeLinks implements SwitchControl {
  private readonly links = new Map<number, InboundClient>();

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
      client.on('connected', () => {
        this.deps.metrics.inc('esl.connects');
        this.deps.log.info({ node: node.name }, 'FreeSWITCH event socket connected');
        void this.reconcile(node.id);
      });
      client.on('disconnected', ({ reason, retryInMs }) => {
        this.deps.metrics.inc('esl.disconnects');
        this.deps.log.warn({ node: node.name, reason, retryInMs }, 'FreeSWITCH event socket lost');
      });
      client.on('auth-failed', ({ text, retryInMs }) => {
        this.deps.metrics.inc('esl.auth_failures');
        this.deps.log.warn(
          { node: node.name, text, retryInMs },
          'FreeSWITCH refused the event-socket password (CC_FS_PASSWORD / fs_nodes.esl_password)',
        );
      });
      client.on('event', (e) => this.deps.handlers.event(node.id, e));
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
    const r = await this.api(nodeId, FsCommand.registrations());
    if (r.ok) this.deps.handlers.registrations(nodeId, parseRegisteredUsers(r.value));
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
