// What every supervisor command needs: the agents, the live calls, the node links, and a way to answer the
// requester on /topic/notify/{projectCode}/{username} (spec 三.9).
import { notice, type Publisher } from '../core/ports.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { AppPrincipal } from '../agents/commands.js';
import type { LiveCall } from '../calls/legs/types.js';
import type { NodeLinks } from '../switch/nodes.js';
import type { Repos } from '../db/repos/index.js';
import { FsCommand } from '../switch/fs-commands.js';
import { SupervisorLegs } from './legs.js';
import { SUP_VAR, parseSupTag, type SupTag } from './tags.js';
import { Topics } from '../core/topics.js';

/** One leg of ours found live in FreeSWITCH after a restart, with what its tag says (issue 14.5). */
interface FoundLeg<T extends SupTag = SupTag> {
  tag: T;
  uuid: string;
  nodeId: number;
  /** Every leg the node listed. */
  live: ReadonlySet<string>;
}

/** The columns of `show channels as json` the supervisor reads. */
export interface SupervisorRow {
  uuid: string;
  application?: string;
  presence_id?: string;
}

type Kind = SupTag['kind'];
type Adopter<K extends Kind> = (found: FoundLeg<Extract<SupTag, { kind: K }>>) => void;

export interface SupervisorDeps {
  agents: AgentRegistry;
  /** The runner's live calls by callId (CallRunner.live). */
  live: ReadonlyMap<string, LiveCall>;
  nodes: Pick<NodeLinks, 'api' | 'bgapi' | 'client'>;
  publisher: Publisher;
  repos: Pick<Repos, 'voices'>;
  log?: { warn(obj: object, msg: string): void };
  /** How long the phones we call ring before we give up (seconds; default 30). */
  ringSeconds?: number;
  /** Leg uuids (tests may fix them); default crypto.randomUUID. */
  newUuid?: () => string;
}

export class SupervisorContext {
  readonly legs: SupervisorLegs;
  readonly ringSeconds: number;

  private readonly adopters = new Map<Kind, (found: FoundLeg) => void>();
  private readonly afterRecovery: ((nodeId: number) => void)[] = [];
  /** Legs of ours whose events nobody follows (a manager↔agent call's agent leg): not the call recovery's. */
  private readonly claimed = new Set<string>();

  constructor(readonly d: SupervisorDeps) {
    this.legs = new SupervisorLegs(d.nodes, d.log, d.newUuid);
    this.ringSeconds = d.ringSeconds ?? 30;
  }

  /** A feature takes back its legs of one kind after a restart; `after` runs once every found leg is adopted. */
  adopts<K extends Kind>(kind: K, adopt: Adopter<K>, after?: (nodeId: number) => void): void {
    this.adopters.set(kind, adopt as (found: FoundLeg) => void);
    if (after) this.afterRecovery.push(after);
  }

  claim(uuid: string): void {
    this.claimed.add(uuid);
  }

  unclaim(uuid: string): void {
    this.claimed.delete(uuid);
  }

  /** A leg the supervisor owns: the call recovery must not take its agent for a customer call. */
  knows(uuid: string): boolean {
    return this.legs.has(uuid) || this.claimed.has(uuid);
  }

  /**
   * After each (re)connect of a node, with its `show channels` rows: legs we tracked that are gone ended meanwhile;
   * legs of ours we do not track (a restart) are read back from their cc_sup tag and adopted by their feature.
   * Only listeners, conference members and managers' bridges are asked (uuid_getvar), not every customer call.
   */
  async recover(nodeId: number, rows: readonly SupervisorRow[]): Promise<number> {
    const live = new Set(rows.map((r) => r.uuid));
    this.legs.reconcile(nodeId, live);
    let adopted = 0;
    for (const row of rows) {
      if (this.legs.has(row.uuid) || !this.mayBeOurs(row)) continue;
      const r = await this.d.nodes.api(nodeId, FsCommand.getvar(row.uuid, SUP_VAR));
      const tag = r.ok ? parseSupTag(r.value) : undefined;
      const adopt = tag && this.adopters.get(tag.kind);
      if (!tag || !adopt || this.legs.has(row.uuid)) continue;
      adopt({ tag, uuid: row.uuid, nodeId, live });
      adopted++;
    }
    for (const after of this.afterRecovery) after(nodeId);
    return adopted;
  }

  private mayBeOurs(row: SupervisorRow): boolean {
    if (row.application === 'eavesdrop' || row.application === 'conference') return true;
    if (row.application !== 'bridge') return false;
    // A manager↔agent call's first leg is the manager's phone running bridge.
    const ext = row.presence_id?.split('@')[0];
    return ext !== undefined && this.d.agents.get(ext)?.type === 3;
  }

  /** Answers the requester: success or the reason (msgType error), or an informational follow-up. */
  tell(p: AppPrincipal, msgType: 'success' | 'error' | 'info' | 'warning', data: string): void {
    this.d.publisher.publish(Topics.notify(p.projectCode, p.username), notice(msgType, data));
  }

  /**
   * Runs the slow part of a command (a phone ringing) without holding the requester's STOMP session, whose frames
   * are handled one at a time; its outcome is told when it comes.
   */
  detach(p: AppPrincipal, work: () => Promise<void>): void {
    void work().catch((err: unknown) => {
      this.d.log?.warn({ err }, 'supervisor command failed');
      this.tell(p, 'error', 'the command failed inside the server; see its log');
    });
  }

  /** The SIP domain of an extension's node (user/EXT@domain), as the live registry knows it. */
  domainOf(username: string): string {
    return this.d.agents.get(username)?.sipDomain ?? '';
  }

  /** Who gets the notices of a leg adopted after a restart: the tag's requester, in the tag's project. */
  principal(tag: { requester: string; project: string }): AppPrincipal {
    return { username: tag.requester, projectCode: tag.project, role: 'manager' };
  }

  nodeOf(username: string): number | undefined {
    return this.d.agents.get(username)?.nodeId;
  }
}
