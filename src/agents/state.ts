// One extension's live state (architecture §5), as a pure machine: events in, new state out. The registry applies
// it, persists what must survive a restart and publishes every change.
import { RegStatus, SessionStatus, WorkStatus } from '../core/codes.js';

export interface AgentState {
  username: string;
  regStatus: 0 | 1;
  workStatus: WorkStatus;
  sessionStatus: SessionStatus;
  /** The call this agent is being offered or is on; set while reserved and while talking. */
  callId: string | null;
  reserved: boolean;
  destinationNumber: string | null;
  destinationUUID: string | null;
  /** When the agent last became free (for longest-idle selection). */
  idleSince: number;
  /** sessionStatus to return to when a conference ends. */
  beforeConference: SessionStatus | null;
  /** When the current call was connected (pacing learns how long calls keep agents busy). */
  talkingSince: number | null;
}

export type AgentEvent =
  | { kind: 'registered' }
  | { kind: 'unregistered' }
  | { kind: 'set-work'; workStatus: WorkStatus }
  | { kind: 'reserve'; callId: string }
  | { kind: 'release'; callId: string }
  | { kind: 'connected'; callId: string; destinationNumber: string; destinationUUID: string }
  | { kind: 'call-ended'; callId: string }
  | { kind: 'conference-joined' }
  | { kind: 'conference-left' };

type Refusal = { refused: string };

export function initialAgent(
  username: string,
  now: number,
  persisted?: { regStatus: number; workStatus: number },
): AgentState {
  return {
    username,
    regStatus: persisted?.regStatus === RegStatus.registered ? 1 : 0,
    workStatus: (persisted?.workStatus ?? WorkStatus.unavailable) as WorkStatus,
    sessionStatus: SessionStatus.idle,
    callId: null,
    reserved: false,
    destinationNumber: null,
    destinationUUID: null,
    idleSince: now,
    beforeConference: null,
    talkingSince: null,
  };
}

/** Can this agent be offered a call now? Registered, available, idle, not reserved (architecture §5). */
export const isOfferable = (s: AgentState): boolean =>
  s.regStatus === 1 &&
  s.workStatus === WorkStatus.available &&
  s.sessionStatus === SessionStatus.idle &&
  !s.reserved;

const freed = (s: AgentState, now: number): AgentState => ({
  ...s,
  sessionStatus: SessionStatus.idle,
  callId: null,
  reserved: false,
  destinationNumber: null,
  destinationUUID: null,
  idleSince: now,
  talkingSince: null,
});

export function applyAgentEvent(s: AgentState, e: AgentEvent, now: number): AgentState | Refusal {
  switch (e.kind) {
    case 'registered':
      return s.regStatus === 1 ? s : { ...s, regStatus: 1, idleSince: s.callId ? s.idleSince : now };
    case 'unregistered':
      // A phone that goes away cannot take the call it was being offered.
      return { ...(s.reserved && s.sessionStatus === SessionStatus.idle ? freed(s, now) : s), regStatus: 0 };
    case 'set-work':
      if (s.workStatus === WorkStatus.disabled && e.workStatus !== WorkStatus.unavailable)
        return { refused: `extension ${s.username} is disabled` };
      if (e.workStatus === s.workStatus) return s;
      return {
        ...s,
        workStatus: e.workStatus,
        idleSince: e.workStatus === WorkStatus.available ? now : s.idleSince,
      };
    case 'reserve':
      if (!isOfferable(s)) return { refused: `agent ${s.username} is not available` };
      return { ...s, reserved: true, callId: e.callId };
    case 'release':
      if (s.callId !== e.callId || s.sessionStatus !== SessionStatus.idle) return s;
      return freed(s, s.idleSince);
    case 'connected':
      if (s.callId !== null && s.callId !== e.callId)
        return { refused: `agent ${s.username} is on another call` };
      return {
        ...s,
        reserved: false,
        callId: e.callId,
        sessionStatus: SessionStatus.talking,
        destinationNumber: e.destinationNumber,
        destinationUUID: e.destinationUUID,
        talkingSince: now,
      };
    case 'call-ended':
      if (s.callId !== e.callId) return s;
      return freed(s, now);
    case 'conference-joined':
      if (s.sessionStatus === SessionStatus.conference) return s;
      return { ...s, beforeConference: s.sessionStatus, sessionStatus: SessionStatus.conference };
    case 'conference-left':
      if (s.sessionStatus !== SessionStatus.conference) return s;
      return {
        ...s,
        sessionStatus: s.beforeConference ?? SessionStatus.idle,
        beforeConference: null,
        idleSince: now,
      };
  }
}
