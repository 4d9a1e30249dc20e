// The legs supervisor commands originate (eavesdrop, conference members, manager↔agent calls), and the node events
// about them. We choose each leg's uuid (origination_uuid) before the originate goes out, so events that arrive
// before the BACKGROUND_JOB already find their leg.
import { randomUUID } from 'node:crypto';
import type { EslEvent } from '../esl/index.js';
import type { NodeLinks } from '../switch/nodes.js';
import { FsCommand } from '../switch/fs-commands.js';

interface LegHandlers {
  /** conference::maintenance add-member for this leg. */
  joined?(): void;
  /** conference::maintenance del-member for this leg. */
  left?(): void;
  /** CHANNEL_BRIDGE with this leg as the A-leg. */
  bridged?(): void;
  /** CHANNEL_HANGUP_COMPLETE of an answered leg; the leg is forgotten afterwards. */
  ended?(cause: string): void;
}

interface TrackedLeg extends LegHandlers {
  uuid: string;
  nodeId: number;
}

type OriginateOutcome = { ok: true } | { ok: false; cause: string };

type Links = Pick<NodeLinks, 'api' | 'bgapi' | 'client'>;

interface Logger {
  warn(obj: object, msg: string): void;
}

export class SupervisorLegs {
  private readonly legs = new Map<string, TrackedLeg>();
  private readonly watched = new Set<number>();
  /** Legs whose originate succeeded (answered); until then a hangup is reported by the originate itself. */
  private readonly up = new Set<string>();

  constructor(
    private readonly nodes: Links,
    private readonly log?: Logger,
    readonly newUuid: () => string = randomUUID,
  ) {}

  get size(): number {
    return this.legs.size;
  }

  has(uuid: string): boolean {
    return this.legs.has(uuid);
  }

  /**
   * Tracks the leg, then originates it (bgapi: the answer comes when the phone answers or fails). A failed
   * originate forgets the leg; its `ended` handler is not called.
   */
  async originate(leg: TrackedLeg, command: string): Promise<OriginateOutcome> {
    this.watch(leg.nodeId);
    this.legs.set(leg.uuid, leg);
    const r = await this.nodes.bgapi(leg.nodeId, command);
    if (r.ok && this.legs.has(leg.uuid)) {
      this.up.add(leg.uuid);
      return { ok: true };
    }
    this.legs.delete(leg.uuid);
    // No answer in time (or the link dropped): the leg may still be ringing; make sure it does not live on.
    if (!r.ok && r.error.kind !== 'err') void this.kill(leg.nodeId, leg.uuid);
    return { ok: false, cause: r.ok ? 'hung up at once' : r.error.text || r.error.kind };
  }

  /**
   * A leg found live in FreeSWITCH after a restart (issue 14.5): tracked as if we had just originated it and it had
   * answered, so its events and its end reach the handlers.
   */
  adopt(leg: TrackedLeg): void {
    this.watch(leg.nodeId);
    this.legs.set(leg.uuid, leg);
    this.up.add(leg.uuid);
  }

  /**
   * After the node's event link came back: answered legs of that node that FreeSWITCH no longer lists ended while
   * the link was down (their CHANNEL_HANGUP_COMPLETE was lost), so they end now.
   */
  reconcile(nodeId: number, live: ReadonlySet<string>): void {
    for (const leg of [...this.legs.values()]) {
      if (leg.nodeId !== nodeId || live.has(leg.uuid) || !this.up.has(leg.uuid)) continue;
      this.legs.delete(leg.uuid);
      this.up.delete(leg.uuid);
      leg.ended?.('NORMAL_CLEARING');
    }
  }

  /** Hangs a leg up (uuid_kill); false when FreeSWITCH no longer has it. */
  async kill(nodeId: number, uuid: string): Promise<boolean> {
    const r = await this.nodes.api(nodeId, FsCommand.kill(uuid));
    return r.ok && !r.value.startsWith('-ERR');
  }

  /** Node events reach us through the node's inbound client; subscribe once per node, on first use. */
  private watch(nodeId: number): void {
    if (this.watched.has(nodeId)) return;
    const client = this.nodes.client(nodeId);
    if (!client) {
      this.log?.warn({ nodeId }, 'no event link to the node: supervisor legs will not see their events');
      return;
    }
    this.watched.add(nodeId);
    client.on('event', (e) => this.onEvent(e));
  }

  onEvent(e: EslEvent): void {
    const uuid = e.headers['Unique-ID'];
    const leg = uuid ? this.legs.get(uuid) : undefined;
    if (!leg) return;
    if (e.name === 'CUSTOM' && e.subclass === 'conference::maintenance') {
      const action = e.headers['Action'];
      if (action === 'add-member') leg.joined?.();
      else if (action === 'del-member') leg.left?.();
    } else if (e.name === 'CHANNEL_BRIDGE') leg.bridged?.();
    else if (e.name === 'CHANNEL_HANGUP_COMPLETE') {
      this.legs.delete(leg.uuid);
      if (this.up.delete(leg.uuid)) leg.ended?.(e.headers['Hangup-Cause'] ?? 'NORMAL_CLEARING');
    }
  }
}
