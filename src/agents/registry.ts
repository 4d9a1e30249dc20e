// Live state of every assigned extension. It applies the pure machine (state.ts), persists what must survive a
// restart (registration, workStatus) and publishes each change (architecture §5, spec 三.1, 三.5, 三.13).
import type { Clock } from '../core/clock.js';
import { ExtensionType, type WorkStatus } from '../core/codes.js';
import type { Publisher } from '../core/ports.js';
import type { ExtensionsRepo } from '../db/repos/projects.js';
import { applyAgentEvent, initialAgent, isOfferable, type AgentEvent, type AgentState } from './state.js';
import { Topics } from '../core/topics.js';

export interface AgentEntry {
  username: string;
  projectCode: string;
  projectId: number;
  nodeId: number;
  /**
   * The SIP domain of the agent's node (`user/EXT@domain`), known when the extension is loaded: bridging to an
   * agent never waits on the store for it.
   */
  sipDomain: string;
  type: number;
  /** What calls the agent takes (spec 三.2 workType): 10 direct, 20 off-hook (fifo), 30 inbound. */
  workType: 10 | 20 | 30;
  state: AgentState;
}

type AgentResult = { ok: true; entry: AgentEntry } | { ok: false; reason: string };

/** Extensions a search skips (a Set, or a test over usernames that needs no copy of the project's agents). */
export interface Excluded {
  has(username: string): boolean;
}

const NONE: Excluded = { has: () => false };

export class AgentRegistry {
  private readonly agents = new Map<string, AgentEntry>();
  private readonly listeners = new Set<(entry: AgentEntry, before: AgentState) => void>();
  /**
   * The offerable agents (type agent, isOfferable) of each project, kept on every add, remove and state change.
   * Each agent who frees up wakes every queued customer of the project, and each searched every extension for an
   * idle one: a scan of hundreds per wake-up where the answer is one agent or none (issue 21).
   */
  private readonly offerableOf = new Map<string, Set<AgentEntry>>();

  /**
   * The stored registration and work status follow the live state in the order the changes happened: each write
   * waits for the one before (on a store with a pool of connections two writes in flight could land swapped).
   */
  private storeWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      clock: Clock;
      publisher: Publisher;
      extensions: ExtensionsRepo;
      /** A status write the store refused (logged; the live state stays authoritative). */
      onStoreError?: (err: unknown) => void;
    },
  ) {}

  /** Resolves once every status write made so far is stored (tests, shutdown). */
  stored(): Promise<void> {
    return this.storeWrites;
  }

  add(ext: {
    username: string;
    projectCode: string;
    projectId: number;
    nodeId: number;
    sipDomain?: string;
    type: number;
    regStatus: number;
    workStatus: number;
  }): AgentEntry {
    const entry: AgentEntry = {
      username: ext.username,
      projectCode: ext.projectCode,
      projectId: ext.projectId,
      nodeId: ext.nodeId,
      sipDomain: ext.sipDomain ?? '',
      type: ext.type,
      workType: 10,
      state: initialAgent(ext.username, this.deps.clock.now(), ext),
    };
    const replaced = this.agents.get(ext.username);
    if (replaced) this.index(replaced, false);
    this.agents.set(ext.username, entry);
    this.index(entry, isOfferableAgent(entry));
    return entry;
  }

  remove(username: string): void {
    const entry = this.agents.get(username);
    if (entry) this.index(entry, false);
    this.agents.delete(username);
  }

  private index(entry: AgentEntry, offerable: boolean): void {
    const set = this.offerableOf.get(entry.projectCode);
    if (offerable) {
      if (set) set.add(entry);
      else this.offerableOf.set(entry.projectCode, new Set([entry]));
    } else if (set?.delete(entry) && set.size === 0) this.offerableOf.delete(entry.projectCode);
  }

  get(username: string): AgentEntry | undefined {
    return this.agents.get(username);
  }

  ofProject(projectCode: string): AgentEntry[] {
    return [...this.agents.values()].filter((a) => a.projectCode === projectCode).sort(byUsername);
  }

  all(): AgentEntry[] {
    return [...this.agents.values()];
  }

  /** Agents whose state names `callId` (none or one, as a rule): every leg's end asks, without copying them all. */
  onCall(callId: string): AgentEntry[] {
    const out: AgentEntry[] = [];
    for (const a of this.agents.values()) if (a.state.callId === callId) out.push(a);
    return out;
  }

  /** Agents of the project that can be offered a call now. */
  offerable(projectCode: string): AgentEntry[] {
    return [...(this.offerableOf.get(projectCode) ?? [])].sort(byUsername);
  }

  /** Reserves the longest-idle offerable agent for `callId`; the caller must release it on every failure path. */
  reserveLongestIdle(projectCode: string, callId: string, exclude: Excluded = NONE): AgentEntry | undefined {
    // One pass over the project's offerable agents, no copies or sort: every waiting customer runs this each time
    // an agent frees up (issue 13), and a sorted copy of the project per call made a 200-agent queue block the
    // event loop for seconds.
    const offerable = this.offerableOf.get(projectCode);
    if (!offerable) return undefined;
    let best: AgentEntry | undefined;
    for (const a of offerable) {
      if (exclude.has(a.username)) continue;
      const d = best ? a.state.idleSince - best.state.idleSince : -1;
      if (d < 0 || (d === 0 && byUsername(a, best!) < 0)) best = a;
    }
    if (!best) return undefined;
    const r = this.apply(best.username, { kind: 'reserve', callId });
    return r.ok ? r.entry : undefined;
  }

  onChange(fn: (entry: AgentEntry, before: AgentState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  apply(username: string, event: AgentEvent): AgentResult {
    const entry = this.agents.get(username);
    if (!entry) return { ok: false, reason: `extension ${username} is not assigned to a project` };
    const before = entry.state;
    const next = applyAgentEvent(before, event, this.deps.clock.now());
    if ('refused' in next) return { ok: false, reason: next.refused };
    if (next === before) return { ok: true, entry };
    entry.state = next;
    if (isOfferable(next) !== isOfferable(before)) this.index(entry, isOfferableAgent(entry));
    // Only what changed is written: in a cluster an instance that sees a registration change may hold a stale work
    // status for an agent whose commands run at the project's owner (issue 20), and must not write it over the
    // owner's.
    const changed = {
      ...(next.regStatus !== before.regStatus && { regStatus: next.regStatus }),
      ...(next.workStatus !== before.workStatus && { workStatus: next.workStatus }),
    };
    if (Object.keys(changed).length) this.storeStatus(username, changed);
    this.publish(entry, before);
    for (const fn of this.listeners) fn(entry, before);
    return { ok: true, entry };
  }

  private storeStatus(username: string, fields: { regStatus?: number; workStatus?: number }): void {
    const now = this.deps.clock.now();
    this.storeWrites = this.storeWrites
      .then(() => this.deps.extensions.setStatus(username, fields, now))
      .catch((err: unknown) => this.deps.onStoreError?.(err));
  }

  setWork(username: string, workStatus: WorkStatus): AgentResult {
    return this.apply(username, { kind: 'set-work', workStatus });
  }

  /** Publishes the agent's current state, as on a change (used after moves and for fresh subscribers). */
  publish(entry: AgentEntry, before?: AgentState): void {
    const s = entry.state;
    const { publisher } = this.deps;
    // The spec spells the field `sessionSatus` on these two topics; we send that and the correct spelling.
    const status = {
      workStatus: s.workStatus,
      sessionSatus: s.sessionStatus,
      sessionStatus: s.sessionStatus,
    };
    publisher.publish(Topics.status(entry.username), status);
    if (!before || before.regStatus !== s.regStatus)
      publisher.publish(Topics.register(entry.username), { status: s.regStatus, ...status });
    publisher.publish(Topics.callExtStatus(entry.projectCode), extStatusView(entry));
  }
}

const isOfferableAgent = (a: AgentEntry): boolean => a.type === ExtensionType.agent && isOfferable(a.state);

/** Numeric usernames in number order (ties and non-numeric ones by text): the order of listings and of ties in longest-idle. */
const byUsername = (a: AgentEntry, b: AgentEntry): number =>
  Number(a.username) - Number(b.username) || a.username.localeCompare(b.username);

/** One row of getExtentionByProject and of /topic/callExtStatus (spec 一.9, 三.13). */
export const extStatusView = (entry: AgentEntry) => ({
  username: entry.username,
  status: entry.state.regStatus,
  workStatus: entry.state.workStatus,
  sessionStatus: entry.state.sessionStatus,
  destinationNumber: entry.state.destinationNumber,
  destinationUUID: entry.state.destinationUUID,
  type: entry.type,
});
