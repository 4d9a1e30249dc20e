// The contract's vocabulary (spec 一 and 三; architecture §3-5). Numbers are the wire values.

export const ScheduleType = {
  directToAgent: 1,
  playThenAgent: 2,
  agentFirst: 3,
  offHookAgent: 4,
  playOnly: 5,
  inbound: 11,
} as const;
export type ScheduleType = (typeof ScheduleType)[keyof typeof ScheduleType];
export const CallType = { predictive: 1, preview: 2, inbound: 3 } as const;
export type CallType = (typeof CallType)[keyof typeof CallType];

export const TaskStatus = { init: 1, running: 2, paused: 3, ended: 4 } as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const Result = { success: 10, fail: 20, missed: 30 } as const;
export type Result = (typeof Result)[keyof typeof Result];

export const ResultDetail = {
  emptyNumber: 1,
  notConnected: 5,
  rejected: 10,
  customerBusy: 20,
  noAnswer: 25,
  customerHungUpWaiting: 28,
  agentBusy: 30,
  agentNoAnswer: 32,
  allAgentsBusy: 35,
  queueTimeout: 40,
  successAgentHungUp: 50,
  successCustomerHungUp: 55,
} as const;
/**
 * Extension codes (issue 23, README "Answering-machine detection"), kept apart from the contract's: result 20 with
 * 60 (an answering machine, hung up on) or 61 (an answering machine that got the task's message after its beep).
 */
export const AmdResultDetail = { machineHungUp: 60, machineMessage: 61 } as const;
export type ResultDetail =
  (typeof ResultDetail)[keyof typeof ResultDetail] | (typeof AmdResultDetail)[keyof typeof AmdResultDetail];
/** Every code a call log may carry: the contract's, then the extension's (recall and filters accept both). */
export const resultDetails: readonly number[] = [
  ...Object.values(ResultDetail),
  ...Object.values(AmdResultDetail),
];

/** Extension registration (spec 一.9 `status`). */
export const RegStatus = { unregistered: 0, registered: 1 } as const;
/** The agent's (or manager's) choice (spec 一.9 `workStatus`). */
export const WorkStatus = { disabled: -1, unavailable: 0, available: 1 } as const;
export type WorkStatus = (typeof WorkStatus)[keyof typeof WorkStatus];
/** Follows the calls (spec 三.5 `sessionStatus`). */
export const SessionStatus = { idle: 0, conference: 7, talking: 10 } as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];

export const ExtensionType = { agent: 2, manager: 3 } as const;
export type ExtensionType = (typeof ExtensionType)[keyof typeof ExtensionType];

/** Gateway: 1 we register to the carrier, 2 the carrier registers to us (spec 一.15). */
export const RegisterType = { active: 1, passive: 2 } as const;
/** Billing: 1 per call, 2 per started block of `billsec` seconds (spec 一.15). */
export const BillType = { perCall: 1, perSeconds: 2 } as const;

/** Channel variables we set on every leg we originate (architecture §3); freeswitch-conf and tests check them. */
export const ChannelVar = {
  project: 'cc_project',
  task: 'cc_task',
  callId: 'cc_call_id',
  role: 'cc_role',
  flow: 'cc_flow',
} as const;
export type LegRole = 'customer' | 'agent' | 'manager';
