// Why a running task is not dialling (issue 17.12: a task showed "running" at 0% with no reason while FreeSWITCH
// was unreachable). Pure: the dialer gathers the facts at each tick; the first obstacle in the order below is the
// one reported, the one an operator has to remove first. A task that launched a call or has one in progress is
// dialling, and has no reason.

const NotDiallingReason = {
  freeswitchUnreachable: 'freeswitch-unreachable',
  outsideCallingWindow: 'outside-calling-window',
  noGateway: 'no-gateway',
  gatewaysFull: 'gateways-full',
  nodeAtLimit: 'node-at-limit',
  noNumbersDue: 'no-numbers-due',
  noAgent: 'no-agent',
  noIdleAgent: 'no-idle-agent',
} as const;
type NotDiallingReason = (typeof NotDiallingReason)[keyof typeof NotDiallingReason];

export interface NotDialling {
  reason: NotDiallingReason;
  /** One sentence for a person, naming what is missing. */
  detail: string;
}

export interface DialFacts {
  /** The task launched a call at this tick, or has calls of its own in progress. */
  dialling: boolean;
  node: { name: string; connected: boolean };
  window: { open: boolean; changesAt: number | null };
  /** The task's enabled gateways and the lines it may still use on each. */
  gateways: { gwCode: string; room: number }[];
  /** Originates the node still allows now (sessions per second, max sessions). */
  nodeRoom: number;
  /** Lazily: does the task have a number due now? */
  numbersDue: () => boolean;
  /** Agents the task paces on, or undefined for tasks that need none (play-only). */
  agents?: { staffed: number; idle: number };
}

export function whyNotDialling(f: DialFacts): NotDialling | null {
  if (f.dialling) return null;
  const R = NotDiallingReason;
  if (!f.node.connected)
    return {
      reason: R.freeswitchUnreachable,
      detail: `FreeSWITCH node ${f.node.name} is not connected (the server keeps trying to reach it)`,
    };
  if (!f.window.open)
    return {
      reason: R.outsideCallingWindow,
      detail:
        f.window.changesAt === null
          ? 'outside its calling window'
          : `outside its calling window until ${new Date(f.window.changesAt).toISOString()}`,
    };
  if (f.gateways.length === 0) return { reason: R.noGateway, detail: 'none of its gateways is enabled' };
  if (f.gateways.every((g) => g.room <= 0))
    return {
      reason: R.gatewaysFull,
      detail: `every line of its gateways is in use (${f.gateways.map((g) => g.gwCode).join(', ')})`,
    };
  if (f.nodeRoom <= 0)
    return {
      reason: R.nodeAtLimit,
      detail: `FreeSWITCH node ${f.node.name} is at its sessions or sessions-per-second limit`,
    };
  if (!f.numbersDue())
    return {
      reason: R.noNumbersDue,
      detail: 'no number is due now (all dialled, screened, or waiting for a retry)',
    };
  if (f.agents && f.agents.staffed === 0)
    return {
      reason: R.noAgent,
      detail: 'no agent of its project is available (registered and set available)',
    };
  if (f.agents && f.agents.idle === 0)
    return { reason: R.noIdleAgent, detail: 'every agent it paces on is busy' };
  return null;
}
