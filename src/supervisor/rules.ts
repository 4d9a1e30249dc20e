// Who may do what, and to whom, for the supervisor and in-call commands (spec 三.15–21, 23–25). Pure: plain agent
// snapshots in, a value or the reason out; the handlers carry the answers to /topic/notify.
import { ExtensionType, SessionStatus, WorkStatus } from '../core/codes.js';
import type { EavesdropMode } from '../switch/fs-commands.js';

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const no = <T = never>(reason: string): Checked<T> => ({ ok: false, reason });

/** What the rules need to know about an extension (a registry entry satisfies it). */
export interface ExtSnapshot {
  username: string;
  projectCode: string;
  type: number;
  state: {
    regStatus: 0 | 1;
    workStatus: number;
    sessionStatus: number;
    callId: string | null;
    reserved: boolean;
  };
}

interface Requester {
  username: string;
  projectCode: string;
  role: string;
}

type Lookup = (username: string) => ExtSnapshot | undefined;

/** The project a command is about: the requester's own (a service account names it in the body). */
export const projectOf = (p: Requester, body: Record<string, unknown>): string =>
  p.role === 'service' && typeof body.projectCode === 'string' ? body.projectCode : p.projectCode;

export const text = (body: Record<string, unknown>, key: string): string | undefined => {
  const v = body[key];
  if (typeof v === 'string' && v.trim()) return v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
};

/** Supervisor commands are for project managers (type 3) and the business system, never for agents. */
export function requireManager(p: Requester, command: string): Checked<true> {
  return p.role === 'manager' || p.role === 'service'
    ? ok(true)
    : no(`${command} is for project managers; extension ${p.username} is an agent`);
}

/** The manager's phone for the action: listenerExt, else the requester's own extension. */
export function listenerPhone(
  p: Requester,
  body: Record<string, unknown>,
  lookup: Lookup,
  projectCode: string,
): Checked<string> {
  const ext = text(body, 'listenerExt') ?? (p.role === 'service' ? undefined : p.username);
  if (!ext) return no('listenerExt is required');
  const e = lookup(ext);
  if (!e || e.projectCode !== projectCode)
    return no(`listener extension ${ext} is not in project ${projectCode}`);
  if (p.role === 'manager' && ext !== p.username && e.type !== ExtensionType.manager)
    return no(`listener extension ${ext} is not a manager's phone`);
  if (e.state.regStatus !== 1) return no(`listener phone ${ext} is offline (not registered)`);
  return ok(ext);
}

/** An agent (type 2) of the project, named by `key` in the body. */
export function projectAgent(
  body: Record<string, unknown>,
  key: string,
  lookup: Lookup,
  projectCode: string,
): Checked<ExtSnapshot> {
  const username = text(body, key);
  if (!username) return no(`${key} is required`);
  const e = lookup(username);
  if (!e || e.projectCode !== projectCode || e.type !== ExtensionType.agent)
    return no(`${username} is not an agent of project ${projectCode}`);
  return ok(e);
}

/** The agent's live call, for eavesdropping: talking, with a call id. */
export function agentOnCall(a: ExtSnapshot): Checked<string> {
  if (a.state.regStatus !== 1) return no(`agent ${a.username} is offline`);
  if (a.state.sessionStatus !== SessionStatus.talking || !a.state.callId)
    return no(`agent ${a.username} is not on a call`);
  return ok(a.state.callId);
}

export function eavesdropMode(body: Record<string, unknown>): Checked<EavesdropMode> {
  const mode =
    text(body, 'mode') ?? (body.barge === true ? 'barge' : body.whisper === true ? 'whisper' : 'listen');
  return mode === 'listen' || mode === 'whisper' || mode === 'barge'
    ? ok(mode)
    : no(`mode must be listen, whisper or barge, not ${mode}`);
}

/**
 * Whether an agent can be called into a conference or by the manager now: registered, not disabled, not on or
 * being offered a customer call, not already in a conference.
 */
export function reachableAgent(a: ExtSnapshot): Checked<ExtSnapshot> {
  if (a.state.regStatus !== 1) return no(`agent ${a.username} is offline`);
  if (a.state.workStatus === WorkStatus.disabled) return no(`agent ${a.username} is disabled`);
  if (a.state.sessionStatus === SessionStatus.conference)
    return no(`agent ${a.username} is already in a conference`);
  if (a.state.sessionStatus === SessionStatus.talking || a.state.reserved || a.state.callId)
    return no(`agent ${a.username} is on a call`);
  return ok(a);
}

/** Everyone /app/conference calls: the project's reachable agents; the others are reported with their reason. */
export function conferenceInvitees(team: readonly ExtSnapshot[]): {
  invite: string[];
  skipped: { username: string; reason: string }[];
} {
  const invite: string[] = [];
  const skipped: { username: string; reason: string }[] = [];
  for (const a of team) {
    if (a.type !== ExtensionType.agent) continue;
    const r = reachableAgent(a);
    if (r.ok) invite.push(a.username);
    else if (a.state.regStatus === 1) skipped.push({ username: a.username, reason: r.reason });
  }
  return { invite, skipped };
}

/** One conference room per project on its node (mod_conference's `default` profile). */
export const conferenceRoom = (projectCode: string): string => `cc-${projectCode}`;

/**
 * pmCallAgent names the agent either as telNo (as /app/call names the number to dial, with username = the caller)
 * or as username (the manager's console acting for the agent). The first agent of the project wins.
 */
export function pmCallee(
  body: Record<string, unknown>,
  lookup: Lookup,
  projectCode: string,
): Checked<ExtSnapshot> {
  for (const key of ['telNo', 'username']) {
    const r = projectAgent(body, key, lookup, projectCode);
    if (r.ok) return r;
  }
  const named = text(body, 'telNo') ?? text(body, 'username');
  return no(
    named ? `${named} is not an agent of project ${projectCode}` : 'telNo (the agent to call) is required',
  );
}

/** The requester of an in-call action must be the agent connected to that call (a business system may act). */
export function inCallActor(
  p: Requester,
  body: Record<string, unknown>,
  callAgent: string | undefined,
  command: string,
): Checked<string> {
  const username = text(body, 'username') ?? p.username;
  if (p.role !== 'service' && username !== p.username)
    return no(`${command} is only for the agent on the call, not for ${p.username}`);
  if (callAgent === undefined) return no(`the call is not connected to an agent`);
  if (callAgent !== username) return no(`the call is not yours (it is with agent ${callAgent})`);
  return ok(username);
}
