// How a customer leg ended, in the contract's words (architecture §4, spec 一.10 result/resultDetail). One ordered
// table: the first row whose condition holds decides. Answered legs are judged by the flow's own state (did an agent
// take the call, who hung up); unanswered legs by the SIP final response, then by FreeSWITCH's Hangup-Cause, because
// the SIP code is what the carrier actually said and the cause is FreeSWITCH's (lossy) translation of it.
import { AmdResultDetail, Result, ResultDetail } from '../core/codes.js';

type HungUpBy = 'agent' | 'customer' | 'system';
type AgentOutcome = 'busy' | 'no-answer' | 'none-available';

export interface FlowOutcome {
  /** An agent's leg was bridged to the customer. */
  agentConnected: boolean;
  /** The customer was waiting (queue, ringing agents) when the leg ended. */
  waitingForAgent: boolean;
  /** The last agent attempt's outcome when no agent took the call. */
  agentOutcome?: AgentOutcome;
  queueTimedOut?: boolean;
  hungUpBy?: HungUpBy;
  /** scheduleType 5: the call's purpose is the playback; no agent is ever sought. */
  playOnly?: boolean;
  /**
   * Answering-machine detection's verdict (issue 23): a machine never reached the task's flow; `message` is true
   * once its message started after the beep.
   */
  amd?: { verdict: 'human' | 'machine' | 'notsure'; message?: boolean };
}

export interface CallEnd {
  answered: boolean;
  /** FreeSWITCH Hangup-Cause, e.g. NORMAL_CLEARING, USER_BUSY. */
  hangupCause: string;
  /** `sip_term_status`: the final SIP response code, e.g. "486". */
  sipTermStatus?: string;
  /** `sip_hangup_disposition`: send_bye (we hung up), recv_bye (the customer did), send_cancel, recv_refuse... */
  hangupDisposition?: string;
  flow: FlowOutcome;
}

interface CallOutcome {
  result: Result;
  resultDetail: ResultDetail;
  /** The id of the table row that decided, for logs and tests. */
  rule: string;
}

interface Row {
  id: string;
  when: (c: CallEnd) => boolean;
  result: Result;
  resultDetail: ResultDetail;
}

const sip = (c: CallEnd): number => Number(c.sipTermStatus ?? NaN);
const sipIn =
  (...codes: number[]) =>
  (c: CallEnd): boolean =>
    !c.answered && codes.includes(sip(c));
const causeIn =
  (...causes: string[]) =>
  (c: CallEnd): boolean =>
    !c.answered && causes.includes(c.hangupCause);

/**
 * Who ended an answered call. The flow knows best; otherwise the customer leg's SIP disposition tells: on that leg
 * recv_bye means the customer sent BYE, send_bye means we did (the agent hung up, or the system ended the call).
 */
export function whoHungUp(c: CallEnd): HungUpBy {
  if (c.flow.hungUpBy) return c.flow.hungUpBy;
  if (c.hangupDisposition === 'recv_bye') return 'customer';
  if (c.hangupDisposition === 'send_bye') return 'agent';
  return 'system';
}

const answeredNoAgent = (c: CallEnd): boolean => c.answered && !c.flow.agentConnected && !c.flow.playOnly;
const { success, fail, missed } = Result;
const D = ResultDetail;

/**
 * The mapping. Success: an agent talked with the customer (or a play-only call was answered). Missed (漏接): the
 * customer answered but no agent took the call. Fail: the customer never answered.
 */
export const RESULT_TABLE: readonly Row[] = [
  // An answering machine (issue 23, extension codes): not a live answer, so never missed nor abandoned.
  {
    id: 'answering-machine-message',
    when: (c) => c.answered && c.flow.amd?.verdict === 'machine' && c.flow.amd.message === true,
    result: fail,
    resultDetail: AmdResultDetail.machineMessage,
  },
  {
    id: 'answering-machine',
    when: (c) => c.answered && c.flow.amd?.verdict === 'machine',
    result: fail,
    resultDetail: AmdResultDetail.machineHungUp,
  },
  // Answered and talked: whoever sent BYE. "system" (task ended, supervisor kill) counts as our side hanging up.
  {
    id: 'talked-customer-hung-up',
    when: (c) => c.answered && c.flow.agentConnected && whoHungUp(c) === 'customer',
    result: success,
    resultDetail: D.successCustomerHungUp,
  },
  {
    id: 'talked-agent-hung-up',
    when: (c) => c.answered && c.flow.agentConnected,
    result: success,
    resultDetail: D.successAgentHungUp,
  },
  // Play only: the customer leaving during the message is 55; we hanging up after it played out is 50.
  {
    id: 'play-only-customer-hung-up',
    when: (c) => c.answered && c.flow.playOnly === true && whoHungUp(c) === 'customer',
    result: success,
    resultDetail: D.successCustomerHungUp,
  },
  {
    id: 'play-only-played-out',
    when: (c) => c.answered && c.flow.playOnly === true,
    result: success,
    resultDetail: D.successAgentHungUp,
  },
  // Answered, no agent. A queue timeout is the system's verdict and wins over who sent BYE afterwards.
  {
    id: 'queue-timeout',
    when: (c) => answeredNoAgent(c) && c.flow.queueTimedOut === true,
    result: missed,
    resultDetail: D.queueTimeout,
  },
  {
    id: 'abandoned-while-waiting',
    when: (c) => answeredNoAgent(c) && c.flow.waitingForAgent && whoHungUp(c) === 'customer',
    result: missed,
    resultDetail: D.customerHungUpWaiting,
  },
  {
    id: 'agent-busy',
    when: (c) => answeredNoAgent(c) && c.flow.agentOutcome === 'busy',
    result: missed,
    resultDetail: D.agentBusy,
  },
  {
    id: 'agent-no-answer',
    when: (c) => answeredNoAgent(c) && c.flow.agentOutcome === 'no-answer',
    result: missed,
    resultDetail: D.agentNoAnswer,
  },
  {
    id: 'no-agent-available',
    when: (c) => answeredNoAgent(c) && c.flow.agentOutcome === 'none-available',
    result: missed,
    resultDetail: D.allAgentsBusy,
  },
  // Answered, no agent, no attempt recorded: the customer left before an agent could be offered the call (e.g.
  // during the prompt of a play-then-transfer task). From the customer's side that is still waiting for an agent.
  {
    id: 'answered-never-connected',
    when: (c) => answeredNoAgent(c),
    result: missed,
    resultDetail: D.customerHungUpWaiting,
  },
  // Not answered: the carrier's SIP final response first.
  { id: 'sip-empty-number', when: sipIn(404, 604, 410, 484), result: fail, resultDetail: D.emptyNumber },
  { id: 'sip-busy', when: sipIn(486, 600), result: fail, resultDetail: D.customerBusy },
  { id: 'sip-no-answer', when: sipIn(480, 408), result: fail, resultDetail: D.noAnswer },
  { id: 'sip-rejected', when: sipIn(403, 603), result: fail, resultDetail: D.rejected },
  {
    id: 'sip-server-failure',
    when: (c) => !c.answered && sip(c) >= 500 && sip(c) <= 599,
    result: fail,
    resultDetail: D.notConnected,
  },
  // Then FreeSWITCH's cause (no SIP code: a local failure, or a code the rows above do not know, e.g. 487).
  {
    id: 'cause-empty-number',
    when: causeIn('UNALLOCATED_NUMBER', 'INVALID_NUMBER_FORMAT', 'NO_ROUTE_DESTINATION', 'NUMBER_CHANGED'),
    result: fail,
    resultDetail: D.emptyNumber,
  },
  { id: 'cause-busy', when: causeIn('USER_BUSY'), result: fail, resultDetail: D.customerBusy },
  {
    // ORIGINATOR_CANCEL before answer: we gave up ringing (originate timeout, task paused).
    id: 'cause-no-answer',
    when: causeIn('NO_ANSWER', 'NO_USER_RESPONSE', 'ORIGINATOR_CANCEL', 'ALLOTTED_TIMEOUT'),
    result: fail,
    resultDetail: D.noAnswer,
  },
  { id: 'cause-rejected', when: causeIn('CALL_REJECTED'), result: fail, resultDetail: D.rejected },
  // Everything else unanswered: NORMAL_TEMPORARY_FAILURE, RECOVERY_ON_TIMER_EXPIRE, DESTINATION_OUT_OF_ORDER,
  // NETWORK_OUT_OF_ORDER, GATEWAY_DOWN, NORMAL_CIRCUIT_CONGESTION, SERVICE_UNAVAILABLE, an empty cause...
  { id: 'not-connected', when: (c) => !c.answered, result: fail, resultDetail: D.notConnected },
];

/** The outcome of a customer leg. Total: the last row catches every unanswered leg, the ones above every answered. */
export function classifyCall(c: CallEnd): CallOutcome {
  for (const row of RESULT_TABLE)
    if (row.when(c)) return { result: row.result, resultDetail: row.resultDetail, rule: row.id };
  // Unreachable: answered legs end at a talked/play-only/no-agent row, unanswered ones at not-connected.
  return { result: fail, resultDetail: D.notConnected, rule: 'not-connected' };
}

/** The result a detail belongs to (for details written by a flow without a result). */
export function resultOfDetail(detail: number): Result {
  if (detail === D.successAgentHungUp || detail === D.successCustomerHungUp) return success;
  // An answering machine is a failed attempt, not a missed customer (issue 23).
  if (detail === AmdResultDetail.machineHungUp || detail === AmdResultDetail.machineMessage) return fail;
  if (detail >= D.customerHungUpWaiting) return missed;
  return fail;
}
