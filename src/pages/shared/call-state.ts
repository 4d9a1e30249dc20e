// The workbench's current call, driven by the agent's topics (spec 三.4, 三.7, 三.8, 三.26): /topic/invite (the
// call is offered: the phone rings), /topic/call (connected), /topic/bye (over), /topic/transfer (another agent
// handed the call over: it rings here). Pure, so Node tests cover it.

export type CallTopic = 'invite' | 'call' | 'bye' | 'transfer';
export type CallPhase = 'none' | 'ringing' | 'talking' | 'ended';

export interface CallView {
  phase: CallPhase;
  callId: string;
  telNo: string;
  callTaskCode: string;
  /** When the current phase began (the page's clock). */
  since: number;
  /** How long the call was connected, once it ended after talking. */
  talkedMs?: number;
  /** The agent who transferred the call here. */
  transferredBy?: string;
}

export const noCall: CallView = { phase: 'none', callId: '', telNo: '', callTaskCode: '', since: 0 };

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

export function onCallTopic(view: CallView, topic: CallTopic, body: unknown, now: number): CallView {
  const b = (body ?? {}) as Record<string, unknown>;
  const callId = str(b.callId);
  const fields = { callId, telNo: str(b.telNo), callTaskCode: str(b.callTaskCode) };
  const same = callId !== '' && callId === view.callId;
  switch (topic) {
    case 'invite':
      return { phase: 'ringing', ...fields, since: now };
    case 'transfer':
      return { phase: 'ringing', ...fields, since: now, transferredBy: str(b.username) };
    case 'call':
      if (!same && view.phase !== 'none' && view.phase !== 'ended') return view;
      return {
        ...view,
        ...fields,
        callTaskCode: fields.callTaskCode || view.callTaskCode,
        phase: 'talking',
        since: now,
      };
    case 'bye':
      // A bye of an older call (the page missed its end, or a transfer crossed it) leaves the current one alone.
      if (!same) return view;
      return {
        ...view,
        phase: 'ended',
        since: now,
        talkedMs: view.phase === 'talking' ? now - view.since : undefined,
      };
  }
}

export const phaseText: Record<CallPhase, string> = {
  none: '无通话 no call',
  ringing: '来电振铃 ringing',
  talking: '通话中 talking',
  ended: '已挂断 ended',
};

/** Which call buttons of the workbench do something now. */
export interface CallControls {
  hangup: boolean;
  hold: boolean;
  transfer: boolean;
}

/**
 * A call is up while the server offers or connects one, or while the softphone holds a leg. Hold is a re-INVITE
 * of the softphone's own leg, so it needs one; transfer hands over a connected call the server knows.
 */
export function callControls(view: CallView, hasLeg: boolean): CallControls {
  const offered = view.callId !== '' && (view.phase === 'ringing' || view.phase === 'talking');
  return {
    hangup: hasLeg || offered,
    hold: hasLeg,
    transfer: view.callId !== '' && view.phase === 'talking',
  };
}
