// Projects and their extensions (spec 一.1, 4, 9, 11, 12, 18, 20, 21, 22). A project is placed on one FreeSWITCH
// node; it gets one agent extension per seat plus manager extensions (one per 20 seats, at least one).
// Extension numbers are unique across nodes (the API names extensions by number alone), start at
// config.extensionStart, and a finished project's extensions are reused, with new passwords, before new numbers.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ExtensionType, SessionStatus, WorkStatus } from '../core/codes.js';
import { conflict, forbidden, invalid, notFound, unavailable } from '../core/errors.js';
import { notice, type Publisher, type SwitchControl } from '../core/ports.js';
import type { Repos } from '../db/repos/index.js';
import type { Extension, Project } from '../db/repos/projects.js';
import type { AgentRegistry } from './registry.js';
import { extStatusView } from './registry.js';
import type { FsNode } from '../db/repos/nodes.js';
import { Topics } from '../core/topics.js';
import type { Gateway } from '../db/repos/gateways.js';

/** Who asks for an extension: the operator (a signed request) or a browser holding a certificate. */
interface Claimant {
  operator: boolean;
  /** The extension's password, when a browser re-claims the extension it already holds. */
  password?: string;
  /** Told when a presented credential was wrong (the console counts it towards the login throttle). */
  onWrongCredential?: (what: 'certificate' | 'password') => void;
}
const OPERATOR: Claimant = { operator: true };

/** A gateway agents may be sent out through: it exists and is enabled; 400 naming defaultGwCode otherwise. */
async function outboundGateway(repos: Repos, gwCode: string): Promise<Gateway> {
  const gateway = await repos.gateways.byCode(gwCode);
  if (!gateway) throw invalid(`defaultGwCode ${gwCode} is not a gateway`);
  if (gateway.status !== 1) throw invalid(`defaultGwCode ${gwCode} is disabled (status 0)`);
  return gateway;
}

function samePassword(given: string, stored: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

const managersFor = (seats: number): number => Math.max(1, Math.ceil(seats / 20));
const newPassword = (): string => randomBytes(9).toString('base64url');
const newCertificate = (): string => randomBytes(16).toString('hex').toUpperCase();

interface ProjectDeps {
  repos: Repos;
  clock: Clock;
  agents: AgentRegistry;
  publisher: Publisher;
  switchControl: SwitchControl;
  extensionStart: number;
  /** Told when a project ends, so the dialer stops its tasks and STOMP drops its sessions. */
  onProjectFinished: (projectCode: string, usernames: string[]) => void;
  /** Told when an extension is disabled, so STOMP drops its sessions. */
  onExtensionDisabled?: (username: string) => void;
  /** Told when a project or an extension's project changed in the store (the other instances reload it). */
  onStoreChanged?: (projectCode: string) => void;
  log?: { warn(obj: object, msg: string): void };
  /**
   * Whether this instance hears the node's registrations now (its link is up: they were listed again when it came
   * up, and every change since arrived as an event). Then its own view of an extension's registration is at least
   * as fresh as the store's, which other instances write after they hear the same events.
   */
  hearsRegistrations?: (nodeId: number) => boolean;
}

export class ProjectService {
  /** username → node: disconnects FreeSWITCH could not take yet (retried when the node's link is back). */
  private readonly pendingDisconnects = new Map<string, number>();

  constructor(private readonly d: ProjectDeps) {}

  /** Restores the live registry from the store at start-up. */
  async loadAgents(): Promise<void> {
    const domains = new Map((await this.d.repos.nodes.list()).map((n) => [n.id, n.sipDomain]));
    for (const p of await this.d.repos.projects.active())
      for (const e of await this.d.repos.extensions.ofProject(p.id))
        this.d.agents.add({
          ...e,
          projectCode: p.projectCode,
          projectId: p.id,
          sipDomain: domains.get(e.nodeId),
        });
  }

  /**
   * Brings the project's extensions in the registry in line with the store (several instances, issue 20): what
   * another instance changed (a project created or finished, an extension moved, the agents' registration and work
   * status applied at the project's owner) is learnt here. An agent on a call or reserved here keeps its live state
   * (this instance runs that call); every other extension of the project takes its stored state, and extensions no
   * longer in the project leave the registry. Nothing is published: the instance that made the change did.
   */
  async reloadProject(projectCode: string): Promise<void> {
    const { repos, agents } = this.d;
    const project = await repos.projects.activeByCode(projectCode);
    const stored = project ? await repos.extensions.ofProject(project.id) : [];
    const keep = new Set(stored.map((e) => e.username));
    const gone = agents.ofProject(projectCode).filter((a) => !keep.has(a.username));
    for (const a of gone) agents.remove(a.username);
    if (!project) {
      if (gone.length)
        this.d.onProjectFinished(
          projectCode,
          gone.map((a) => a.username),
        );
      return;
    }
    const { sipDomain } = await this.nodeOf(project);
    for (const e of stored) {
      const live = agents.get(e.username);
      const s = live?.projectCode === projectCode ? live.state : undefined;
      const busy =
        s !== undefined && (s.callId !== null || s.reserved || s.sessionStatus !== SessionStatus.idle);
      // A registration this instance heard itself is kept: the stored one may lag it (the write of the instance that
      // heard the same REGISTER may not have landed when the change announcement that brought us here did).
      const heard = live !== undefined && live.nodeId === e.nodeId && this.d.hearsRegistrations?.(e.nodeId);
      const regStatus = heard ? live.state.regStatus : e.regStatus;
      if (!busy) agents.add({ ...e, regStatus, projectCode, projectId: project.id, sipDomain });
      // Disabled or enabled through another instance while a call of it runs here: the status follows at once (no
      // call is offered to a disabled agent once this one ends; FreeSWITCH hangs its calls up).
      else if (s.workStatus !== e.workStatus && [s.workStatus, e.workStatus].includes(WorkStatus.disabled))
        agents.setWork(e.username, e.workStatus as WorkStatus);
      // Its STOMP sessions here end, as they do at the instance that disabled it.
      if (e.workStatus === WorkStatus.disabled && s !== undefined && s.workStatus !== WorkStatus.disabled)
        this.d.onExtensionDisabled?.(e.username);
    }
  }

  /** Among active nodes with room (two legs per seat), the one with most free seats × weight. */
  async placeProject(seats: number): Promise<FsNode> {
    const used = await this.d.repos.projects.seatsByNode();
    let best: { node: FsNode; score: number } | undefined;
    for (const node of await this.d.repos.nodes.active()) {
      const free = Math.floor(node.maxSessions / 2) - (used.get(node.id) ?? 0);
      if (free < seats) continue;
      const score = (free - seats + 1) * node.weight;
      if (!best || score > best.score) best = { node, score };
    }
    if (!best) throw unavailable(`no FreeSWITCH node has room for ${seats} seats`);
    return best.node;
  }

  /** `defaultGwCode` (extension, issue 17.11): the gateway the project's agents call out through first. */
  async createProject(projectCode: string, seats: number, defaultGwCode?: string) {
    const { repos, clock } = this.d;
    if (await repos.projects.activeByCode(projectCode))
      throw conflict(`projectCode ${projectCode} is already active; finish it before creating it again`);
    const defaultGatewayId =
      defaultGwCode === undefined ? null : (await outboundGateway(repos, defaultGwCode)).id;
    const node = await this.placeProject(seats);
    const now = clock.now();
    const managerCertificate = newCertificate();
    const wanted = [
      ...Array.from({ length: seats }, () => ExtensionType.agent),
      ...Array.from({ length: managersFor(seats) }, () => ExtensionType.manager),
    ];
    const { project, extensions } = await repos.projectSetup.create(
      {
        projectCode,
        seats,
        nodeId: node.id,
        certificate: newCertificate(),
        managerCertificate,
        defaultGatewayId,
      },
      wanted,
      this.d.extensionStart,
      newPassword,
      now,
    );
    for (const e of extensions)
      this.d.agents.add({ ...e, projectCode, projectId: project.id, sipDomain: node.sipDomain });
    this.d.onStoreChanged?.(projectCode);
    return {
      certificate: project.certificate,
      managerCertificate,
      servers: node.wssUrl,
      nativeServers: node.nativeAddress,
    };
  }

  /** Extension (issue 17.11): sets the project's default outbound gateway, or clears it ('': none given). */
  async setDefaultGateway(projectCode: string, defaultGwCode: string) {
    const project = await this.activeProject(projectCode);
    const gateway = defaultGwCode === '' ? null : await outboundGateway(this.d.repos, defaultGwCode);
    await this.d.repos.projects.setDefaultGateway(project.id, gateway?.id ?? null, this.d.clock.now());
    return { projectCode, defaultGwCode: gateway?.gwCode ?? null };
  }

  private async activeProject(projectCode: string): Promise<Project> {
    const p = await this.d.repos.projects.activeByCode(projectCode);
    if (!p) throw notFound(`projectCode ${projectCode} is not an active project`);
    return p;
  }

  private async nodeOf(project: Project): Promise<FsNode> {
    const node = await this.d.repos.nodes.get(project.nodeId);
    if (!node) throw unavailable(`the FreeSWITCH node of project ${project.projectCode} no longer exists`);
    return node;
  }

  /**
   * Hands out an extension (spec 一.4). Who asks decides what the certificate may claim (see "Security model" in the
   * README): the operator's signed request may claim any type with either certificate and re-issue a claimed
   * extension by naming it; an unsigned claim (the console) takes agent seats with `certificate`, manager seats
   * with `managerCertificate`, and an extension already handed out only with that extension's password (its holder
   * reloading a page).
   */
  async getByCertificate(
    certificate: string,
    type: number,
    username?: string,
    claimant: Claimant = OPERATOR,
  ) {
    const { repos, clock } = this.d;
    const project = await this.projectOfCertificate(certificate, type, claimant);
    const exts = (await repos.extensions.ofProject(project.id)).filter((e) => e.type === type);
    let ext: Extension | undefined;
    if (username !== undefined) {
      ext = exts.find((e) => e.username === username);
      if (!ext) throw notFound(`username ${username} is not a type ${type} extension of this project`);
      const holder = claimant.password !== undefined && samePassword(claimant.password, ext.password);
      if (ext.claimedAt !== null && !claimant.operator && !holder) {
        if (claimant.password !== undefined) claimant.onWrongCredential?.('password');
        throw conflict(
          `extension ${username} is already claimed; its holder releases it, or the operator re-issues it`,
        );
      }
    } else {
      ext = exts.find((e) => e.claimedAt === null && e.workStatus !== WorkStatus.disabled);
      if (!ext)
        throw conflict(`no unclaimed type ${type} extension is left in project ${project.projectCode}`);
    }
    if (ext.workStatus === WorkStatus.disabled) throw forbidden(`extension ${ext.username} is disabled`);
    await repos.extensions.claim(ext.id, clock.now());
    const node = await this.nodeOf(project);
    return {
      servers: node.wssUrl,
      nativeServers: node.nativeAddress,
      username: ext.username,
      password: ext.password,
      uri: `sip:${ext.username}@${node.sipDomain}`,
      projectCode: project.projectCode,
      type: ext.type,
    };
  }

  private async projectOfCertificate(
    certificate: string,
    type: number,
    claimant: Claimant,
  ): Promise<Project> {
    const { repos } = this.d;
    const asAgents = await repos.projects.byCertificate(certificate);
    const asManagers = asAgents ? undefined : await repos.projects.byManagerCertificate(certificate);
    const project = asAgents ?? asManagers;
    if (!project) {
      claimant.onWrongCredential?.('certificate');
      throw notFound('certificate is unknown');
    }
    if (project.status !== 1) throw forbidden('certificate belongs to a finished project');
    if (claimant.operator) return project;
    if (type === ExtensionType.manager && !asManagers)
      throw forbidden('the agents’ certificate does not claim manager extensions; use managerCertificate');
    if (type !== ExtensionType.manager && asManagers)
      throw forbidden('managerCertificate claims manager extensions only (type 3)');
    return project;
  }

  /** The holder gives its extension back: the next unnamed claim may hand it out (spec-silent; console only). */
  async release(username: string): Promise<void> {
    const ext = await this.d.repos.extensions.byUsername(username);
    if (ext) await this.d.repos.extensions.release(ext.id, this.d.clock.now());
  }

  async extensionsOf(projectCode: string) {
    await this.activeProject(projectCode);
    return this.d.agents.ofProject(projectCode).map(extStatusView);
  }

  private assigned(username: string) {
    const entry = this.d.agents.get(username);
    if (!entry) throw notFound(`username ${username} is not an extension of an active project`);
    return entry;
  }

  setWorkStatus(username: string, workStatus?: number) {
    const entry = this.assigned(username);
    // workStatus is optional in the spec: without it the call toggles between available and not available.
    const wanted =
      workStatus ??
      (entry.state.workStatus === WorkStatus.available ? WorkStatus.unavailable : WorkStatus.available);
    const r = this.d.agents.setWork(username, wanted as 0 | 1);
    if (!r.ok) throw conflict(r.reason);
    return { username, workStatus: r.entry.state.workStatus, sessionStatus: r.entry.state.sessionStatus };
  }

  async setWorkStatusByProject(
    projectCode: string,
    workStatus: 0 | 1,
  ): Promise<{ changed: number; skipped: string[] }> {
    await this.activeProject(projectCode);
    const skipped: string[] = [];
    let changed = 0;
    for (const a of this.d.agents.ofProject(projectCode)) {
      if (a.type !== ExtensionType.agent) continue;
      const r = this.d.agents.setWork(a.username, workStatus);
      if (r.ok) changed++;
      else skipped.push(a.username);
    }
    return { changed, skipped };
  }

  /**
   * Enables or disables an extension (without workStatus: toggles, as the spec says; send the target to make a retry
   * safe). Disabling takes effect here at once (the directory refuses the phone, its STOMP sessions close); hanging
   * up its calls and dropping its registration need FreeSWITCH, and when the node does not answer they wait in a
   * queue for its link to come back, rather than failing a request whose retry would toggle the extension back on.
   */
  async setExtensionStatus(username: string, workStatus?: number) {
    const entry = this.assigned(username);
    const disable =
      workStatus === undefined
        ? entry.state.workStatus !== WorkStatus.disabled
        : workStatus === WorkStatus.disabled;
    const isDisabled = entry.state.workStatus === WorkStatus.disabled;
    // Already as asked (a retry): nothing changes, but a disconnect still waiting for FreeSWITCH is tried again.
    const r =
      disable === isDisabled
        ? ({ ok: true, entry } as const)
        : this.d.agents.setWork(username, disable ? WorkStatus.disabled : WorkStatus.unavailable);
    if (!r.ok) throw conflict(r.reason);
    // Stored first, then announced: the other instances reload it from the store (the owner offers calls by it).
    await this.d.agents.stored();
    this.d.onStoreChanged?.(entry.projectCode);
    const result = { username, workStatus: r.entry.state.workStatus };
    if (!disable) {
      this.pendingDisconnects.delete(username);
      return result;
    }
    this.d.onExtensionDisabled?.(username);
    if (isDisabled && !this.pendingDisconnects.has(username)) return result;
    const done = await this.disconnectOrQueue(entry.nodeId, username);
    // Extension field: the FreeSWITCH side is queued until the node is reachable again.
    return done ? result : { ...result, switchPending: true };
  }

  /** Hangs up the extension's calls and drops its registration; its directory entry is refused from now on. */
  private async disconnectPhone(nodeId: number, username: string): Promise<void> {
    const node = await this.d.repos.nodes.get(nodeId);
    await this.d.switchControl.hangupExtensionCalls(nodeId, username);
    if (node) await this.d.switchControl.flushRegistration(nodeId, username, node.sipDomain);
  }

  private async disconnectOrQueue(nodeId: number, username: string): Promise<boolean> {
    try {
      await this.disconnectPhone(nodeId, username);
      this.pendingDisconnects.delete(username);
      return true;
    } catch (err) {
      this.pendingDisconnects.set(username, nodeId);
      this.d.log?.warn({ username, nodeId, err }, 'FreeSWITCH did not take the disconnect; queued for later');
      return false;
    }
  }

  /** Extensions whose phone still waits to be disconnected, by username (node id as value). */
  pendingSwitchWork(): ReadonlyMap<string, number> {
    return this.pendingDisconnects;
  }

  /** A node's link is up again: carries out the disconnects it could not take. */
  async retryDisconnects(nodeId: number): Promise<void> {
    for (const [username, node] of [...this.pendingDisconnects])
      if (node === nodeId) await this.disconnectOrQueue(node, username);
  }

  async sendToUser(projectCode: string, content: string, username?: string): Promise<number> {
    await this.activeProject(projectCode);
    const targets = username === undefined ? this.d.agents.ofProject(projectCode) : [this.assigned(username)];
    if (username !== undefined && targets[0].projectCode !== projectCode)
      throw notFound(`username ${username} is not an extension of project ${projectCode}`);
    for (const a of targets)
      this.d.publisher.publish(Topics.notify(projectCode, a.username), notice('info', content, '0'));
    return targets.length;
  }

  async distributionSeat(projectCode: string, username: string): Promise<void> {
    const { repos, clock, agents } = this.d;
    const project = await this.activeProject(projectCode);
    const ext = await repos.extensions.byUsername(username);
    if (!ext) throw notFound(`username ${username} is not an extension`);
    if (ext.projectId === project.id) return;
    if (ext.nodeId !== project.nodeId)
      throw conflict(`extension ${username} is on another FreeSWITCH node than project ${projectCode}`);
    const live = agents.get(username);
    if (live && (live.state.callId !== null || live.state.sessionStatus !== 0))
      throw conflict(`extension ${username} is on a call; move it when it is idle`);
    // The extension keeps its number and password (the agent's phone stays registered) and joins as an agent.
    await repos.projectSetup.move(ext.id, project.id, ext.type, clock.now());
    agents.remove(username);
    const { sipDomain } = await this.nodeOf(project);
    const entry = agents.add({ ...ext, workStatus: 0, projectCode, projectId: project.id, sipDomain });
    agents.publish(entry);
    this.d.onStoreChanged?.(projectCode);
  }

  async finishProject(projectCode: string): Promise<void> {
    const { repos, clock, agents } = this.d;
    const project = await this.activeProject(projectCode);
    const now = clock.now();
    await repos.projectSetup.endTasks(project.id, now);
    const exts = await repos.extensions.ofProject(project.id);
    // A node that does not answer gets the disconnects later; the project is finished either way, so a retry of
    // this request is not needed (it would answer 404: no longer active).
    for (const e of exts) await this.disconnectOrQueue(e.nodeId, e.username);
    await repos.projectSetup.finish(
      project.id,
      exts.map((e) => ({ id: e.id, password: newPassword() })),
      now,
    );
    for (const e of exts) agents.remove(e.username);
    this.d.onStoreChanged?.(projectCode);
    this.d.onProjectFinished(
      projectCode,
      exts.map((e) => e.username),
    );
  }
}
