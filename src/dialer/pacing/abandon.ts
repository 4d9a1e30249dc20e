// The one rule that says whether a predictive live answer was abandoned (issue 14.9): regulators (FTC/FCC, Ofcom)
// count a live answer as abandoned unless it is connected to a live agent within 2 s. The dialer uses this rule to
// teach its pacer and stores its verdict on the call log, and the abandon-rate report counts those stored verdicts,
// so the report and the pacer can never disagree.

/** The regulators' limit on abandoned / live answers. */
export const ABANDON_CAP = 0.03;
/** A live answer must reach an agent within this. */
export const MAX_AGENT_WAIT_MS = 2000;

/** resultDetail codes of a customer leg that a person answered but no agent took (28, 30, 32, 35, 40). */
const ANSWERED_NO_AGENT = new Set([28, 30, 32, 35, 40]);
/** resultDetail codes of a customer leg that talked with an agent. */
const CONNECTED = new Set([50, 55]);

type LiveAnswerVerdict = { live: false } | { live: true; abandoned: boolean; waitMs: number | null };

/**
 * A customer leg's verdict. `waitMs` runs from the customer's answer to the agent's connection (null when no
 * agent was connected). A connection later than `maxWaitMs` is an abandon too: the customer heard silence.
 */
export function judgeLiveAnswer(
  resultDetail: number,
  waitMs: number | null,
  maxWaitMs = MAX_AGENT_WAIT_MS,
): LiveAnswerVerdict {
  if (ANSWERED_NO_AGENT.has(resultDetail)) return { live: true, abandoned: true, waitMs: null };
  if (!CONNECTED.has(resultDetail)) return { live: false };
  const wait = waitMs === null ? 0 : Math.max(0, waitMs);
  return { live: true, abandoned: wait > maxWaitMs, waitMs: wait };
}

/** Reads a task's abandon target (per task, issue 14.9): a number in (0, cap]; absent means the cap. */
export function checkAbandonTarget(value: unknown): number | { error: string } {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > ABANDON_CAP)
    return { error: `abandonTarget must be a number greater than 0 and at most ${ABANDON_CAP} (3%)` };
  return n;
}
