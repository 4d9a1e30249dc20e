// What every supervisor command needs: the agents, the live calls, the node links, and a way to answer the
// requester on /topic/notify/{projectCode}/{username} (spec 三.9).
import { notice, type Publisher } from '../core/ports.js';
import type { AgentRegistry } from '../agents/registry.js';
import type { AppPrincipal } from '../agents/commands.js';
import type { LiveCall } from '../calls/runner.js';
import type { NodeLinks } from '../calls/nodes.js';
import type { Repos } from '../db/repos/index.js';
import { SupervisorLegs } from './legs.js';

export interface SupervisorDeps {
  agents: AgentRegistry;
  /** The runner's live calls by callId (CallRunner.live). */
  live: ReadonlyMap<string, LiveCall>;
  nodes: Pick<NodeLinks, 'api' | 'bgapi' | 'client'>;
  publisher: Publisher;
  repos: Pick<Repos, 'extensions' | 'nodes' | 'voices'>;
  log?: { warn(obj: object, msg: string): void };
  /** How long the phones we call ring before we give up (seconds; default 30). */
  ringSeconds?: number;
  /** Leg uuids (tests may fix them); default crypto.randomUUID. */
  newUuid?: () => string;
}

export class SupervisorContext {
  readonly legs: SupervisorLegs;
  readonly ringSeconds: number;

  constructor(readonly d: SupervisorDeps) {
    this.legs = new SupervisorLegs(d.nodes, d.log, d.newUuid);
    this.ringSeconds = d.ringSeconds ?? 30;
  }

  /** Answers the requester: success or the reason (msgType error), or an informational follow-up. */
  tell(p: AppPrincipal, msgType: 'success' | 'error' | 'info' | 'warning', data: string): void {
    this.d.publisher.publish(`/topic/notify/${p.projectCode}/${p.username}`, notice(msgType, data));
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

  /** The SIP domain of an extension's node (user/EXT@domain). */
  domainOf(username: string): string {
    const ext = this.d.repos.extensions.byUsername(username);
    return (ext && this.d.repos.nodes.get(ext.nodeId)?.sipDomain) ?? '';
  }

  nodeOf(username: string): number | undefined {
    return this.d.agents.get(username)?.nodeId;
  }
}
