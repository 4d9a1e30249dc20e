import t from 'tap';
import { AmdResultDetail, Result, ResultDetail } from '../../src/core/codes.js';
import {
  RESULT_TABLE,
  classifyCall,
  resultOfDetail,
  whoHungUp,
  type CallEnd,
  type FlowOutcome,
} from '../../src/switch/results.js';

const noFlow: FlowOutcome = { agentConnected: false, waitingForAgent: false };
const answered = (flow: Partial<FlowOutcome>, extra: Partial<CallEnd> = {}): CallEnd => ({
  answered: true,
  hangupCause: 'NORMAL_CLEARING',
  flow: { ...noFlow, ...flow },
  ...extra,
});
const unanswered = (hangupCause: string, sipTermStatus?: string, hangupDisposition?: string): CallEnd => ({
  answered: false,
  hangupCause,
  sipTermStatus,
  hangupDisposition,
  flow: noFlow,
});

/** One story per row of the table: the call, and what the report must say. */
const stories: Record<string, { story: string; call: CallEnd; detail: ResultDetail }> = {
  'answering-machine-message': {
    story: "an answering machine takes the call and gets the task's message after its beep (issue 23)",
    call: answered({ amd: { verdict: 'machine', message: true }, hungUpBy: 'system' }),
    detail: AmdResultDetail.machineMessage,
  },
  'answering-machine': {
    story: 'an answering machine takes the call and is hung up on, even when it hangs up first',
    call: answered({ amd: { verdict: 'machine' }, hungUpBy: 'customer' }, { hangupDisposition: 'recv_bye' }),
    detail: AmdResultDetail.machineHungUp,
  },
  'talked-customer-hung-up': {
    story: 'the customer talks with an agent and hangs up first (recv_bye on the customer leg)',
    call: answered({ agentConnected: true }, { hangupDisposition: 'recv_bye' }),
    detail: ResultDetail.successCustomerHungUp,
  },
  'talked-agent-hung-up': {
    story: 'the customer talks with an agent and the agent hangs up (send_bye on the customer leg)',
    call: answered({ agentConnected: true }, { hangupDisposition: 'send_bye' }),
    detail: ResultDetail.successAgentHungUp,
  },
  'play-only-customer-hung-up': {
    story: 'a play-only call: the customer hangs up during the message',
    call: answered({ playOnly: true, hungUpBy: 'customer' }),
    detail: ResultDetail.successCustomerHungUp,
  },
  'play-only-played-out': {
    story: 'a play-only call: the message plays out and we hang up',
    call: answered({ playOnly: true, hungUpBy: 'system' }),
    detail: ResultDetail.successAgentHungUp,
  },
  'queue-timeout': {
    story: 'an inbound caller waits in the queue until the queue times out',
    call: answered({ waitingForAgent: true, queueTimedOut: true, hungUpBy: 'system' }),
    detail: ResultDetail.queueTimeout,
  },
  'abandoned-while-waiting': {
    story: 'the customer hangs up while an agent phone is ringing',
    call: answered({ waitingForAgent: true, agentOutcome: 'no-answer' }, { hangupDisposition: 'recv_bye' }),
    detail: ResultDetail.customerHungUpWaiting,
  },
  'agent-busy': {
    story: 'the only chosen agent is busy and the flow gives up',
    call: answered({ agentOutcome: 'busy', hungUpBy: 'system' }),
    detail: ResultDetail.agentBusy,
  },
  'agent-no-answer': {
    story: 'the agent does not answer and the flow gives up',
    call: answered({ agentOutcome: 'no-answer', hungUpBy: 'system' }),
    detail: ResultDetail.agentNoAnswer,
  },
  'no-agent-available': {
    story: 'the customer answers but no agent of the project is available',
    call: answered({ agentOutcome: 'none-available', hungUpBy: 'system' }),
    detail: ResultDetail.allAgentsBusy,
  },
  'answered-never-connected': {
    story: 'the customer answers and hangs up during the prompt, before any agent is sought',
    call: answered({}, { hangupDisposition: 'recv_bye' }),
    detail: ResultDetail.customerHungUpWaiting,
  },
  'sip-empty-number': {
    story: 'the carrier answers 404 Not Found',
    call: unanswered('UNALLOCATED_NUMBER', '404', 'recv_refuse'),
    detail: ResultDetail.emptyNumber,
  },
  'sip-busy': {
    story: 'the carrier answers 486 Busy Here (as in the inbound-originate-busy-486 capture)',
    call: unanswered('USER_BUSY', '486', 'recv_refuse'),
    detail: ResultDetail.customerBusy,
  },
  'sip-no-answer': {
    story: 'the carrier answers 480 Temporarily Unavailable (the phone is off or out of reach)',
    call: unanswered('NO_USER_RESPONSE', '480', 'recv_refuse'),
    detail: ResultDetail.noAnswer,
  },
  'sip-rejected': {
    story: 'the customer declines the call: 603 Decline',
    call: unanswered('CALL_REJECTED', '603', 'recv_refuse'),
    detail: ResultDetail.rejected,
  },
  'sip-server-failure': {
    story: 'nothing listens at the gateway: FreeSWITCH generates 503 (as in the unreachable capture)',
    call: unanswered('NORMAL_TEMPORARY_FAILURE', '503'),
    detail: ResultDetail.notConnected,
  },
  'cause-empty-number': {
    story: 'the number is malformed and never leaves FreeSWITCH',
    call: unanswered('INVALID_NUMBER_FORMAT'),
    detail: ResultDetail.emptyNumber,
  },
  'cause-busy': {
    story: 'FreeSWITCH reports USER_BUSY without a SIP code',
    call: unanswered('USER_BUSY'),
    detail: ResultDetail.customerBusy,
  },
  'cause-no-answer': {
    story: 'the phone rings until our originate timeout cancels it (487 after our CANCEL)',
    call: unanswered('NO_ANSWER', '487', 'send_cancel'),
    detail: ResultDetail.noAnswer,
  },
  'cause-rejected': {
    story: 'FreeSWITCH reports CALL_REJECTED without a SIP code',
    call: unanswered('CALL_REJECTED'),
    detail: ResultDetail.rejected,
  },
  'not-connected': {
    story: 'the gateway is down',
    call: unanswered('GATEWAY_DOWN'),
    detail: ResultDetail.notConnected,
  },
};

t.test('every row of the result table has a story', async (t) => {
  t.same(Object.keys(stories).sort(), RESULT_TABLE.map((r) => r.id).sort());
});

for (const row of RESULT_TABLE) {
  const s = stories[row.id]!;
  t.test(`${row.id}: when ${s.story}, the report says ${s.detail}`, async (t) => {
    const out = classifyCall(s.call);
    t.equal(out.rule, row.id, 'this row decides');
    t.equal(out.resultDetail, s.detail);
    t.equal(out.result, resultOfDetail(s.detail), 'the result is the one of its detail');
  });
}

t.test('results group the details as a call center reports them', async (t) => {
  const success = [ResultDetail.successAgentHungUp, ResultDetail.successCustomerHungUp];
  const missed = [28, 30, 32, 35, 40];
  const fail = [1, 5, 10, 20, 25];
  for (const d of success) t.equal(resultOfDetail(d), Result.success, `${d} is success`);
  for (const d of missed) t.equal(resultOfDetail(d), Result.missed, `${d} is missed`);
  for (const d of fail) t.equal(resultOfDetail(d), Result.fail, `${d} is fail`);
  for (const row of RESULT_TABLE) t.equal(row.result, resultOfDetail(row.resultDetail), row.id);
});

t.test('the SIP code wins over the cause it was translated into', async (t) => {
  // 408 from the carrier becomes RECOVERY_ON_TIMER_EXPIRE in FreeSWITCH; the carrier meant "no answer".
  t.equal(classifyCall(unanswered('RECOVERY_ON_TIMER_EXPIRE', '408')).resultDetail, ResultDetail.noAnswer);
  t.equal(classifyCall(unanswered('RECOVERY_ON_TIMER_EXPIRE')).resultDetail, ResultDetail.notConnected);
  t.equal(classifyCall(unanswered('NORMAL_CLEARING', '604')).resultDetail, ResultDetail.emptyNumber);
  t.equal(classifyCall(unanswered('NORMAL_CLEARING', '600')).resultDetail, ResultDetail.customerBusy);
  t.equal(classifyCall(unanswered('NORMAL_CLEARING', '403')).resultDetail, ResultDetail.rejected);
});

t.test('an unanswered leg ended by our cancel counts as no answer', async (t) => {
  t.equal(classifyCall(unanswered('ORIGINATOR_CANCEL', undefined, 'send_cancel')).resultDetail, 25);
});

t.test('who hung up: the flow knows best, else the SIP disposition, else the system', async (t) => {
  t.equal(whoHungUp(answered({ hungUpBy: 'customer' }, { hangupDisposition: 'send_bye' })), 'customer');
  t.equal(whoHungUp(answered({}, { hangupDisposition: 'recv_bye' })), 'customer');
  t.equal(whoHungUp(answered({}, { hangupDisposition: 'send_bye' })), 'agent');
  t.equal(whoHungUp(answered({})), 'system');
  const killed = answered({ agentConnected: true, hungUpBy: 'system' });
  t.equal(
    classifyCall(killed).resultDetail,
    ResultDetail.successAgentHungUp,
    'a kill by us counts as our side',
  );
});

t.test('a queue timeout wins over the customer hanging up afterwards', async (t) => {
  const c = answered({ waitingForAgent: true, queueTimedOut: true }, { hangupDisposition: 'recv_bye' });
  t.equal(classifyCall(c).resultDetail, ResultDetail.queueTimeout);
});
