// What the call runner needs from the rest of the system: task facts for a leg, agents' SIP domains, recording
// paths, and the durable outcome of each customer leg (call log, billing, the dialled number settled, the
// recording queued for upload).
import type { AgentRegistry } from '../agents/registry.js';
import type { Clock } from '../core/clock.js';
import type { Repos } from '../db/repos/index.js';
import type { CallOutcome } from '../db/repos/call-outcomes.js';
import { recordingPath } from '../storage/keys.js';
import { priceCal, priceRuleOf } from '../switch/billing.js';
import { classifyCall } from '../switch/results.js';
import type { FlowFacts, LegInfo } from './flows/types.js';
import type { CallServices, LegEnd, StoredOutcome } from './legs/types.js';
import { amdOfTask } from './amd/task-amd.js';

interface LegOutcome {
  leg: LegInfo;
  result: number;
  resultDetail: number;
}

/**
 * How long a task's voice and evaluation setting are kept once read. A leg connecting reads them before its flow's
 * first command: on a networked store a read per leg would put a round trip there (issue 18.6), so a task's facts
 * are read once and then kept this long; a change reaches new calls within it.
 */
const TASK_FACTS_TTL_MS = 5_000;

type TaskFacts = { voiceFile?: string; evaluation: boolean; amd?: LegInfo['amd'] } | undefined;

export function callServices(d: {
  repos: Pick<Repos, 'tasks' | 'voices' | 'callOutcomes'>;
  agents: Pick<AgentRegistry, 'get'>;
  clock: Clock;
  recordingsDir: string;
  /** Queues a finished recording for upload (when Qiniu is configured). */
  enqueueRecording?: (callUuid: string, filePath: string, startedAt: number) => void;
  /** Told after each customer leg is stored (the dialer updates its counters and pacing). */
  onOutcome?: (o: LegOutcome) => void;
  /** The dialer's abandon verdict on an answered customer, written with the outcome (no write of its own). */
  answerVerdict?: (
    callId: string,
    resultDetail: number,
  ) => { abandoned: number; agentWaitMs: number | null } | undefined;
}): CallServices {
  const taskFacts = new Map<string, { facts: TaskFacts; until: number }>();
  async function readTaskFacts(taskCode: string): Promise<TaskFacts> {
    const task = await d.repos.tasks.byCode(taskCode);
    if (!task) return undefined;
    const voice = task.voiceCode ? await d.repos.voices.byCode(task.voiceCode) : undefined;
    // Answering-machine detection (issue 23): read with the task, so the answer adds no query of its own.
    const machineVoice =
      task.amd === 1 && task.amdMachineAction === 'message' && task.amdVoiceCode
        ? await d.repos.voices.byCode(task.amdVoiceCode)
        : undefined;
    const amd = amdOfTask(task, (code) =>
      code === machineVoice?.voiceCode ? machineVoice.filePath : undefined,
    );
    return { voiceFile: voice?.filePath, evaluation: task.evaluation === 1, amd };
  }
  return {
    async taskInfo(taskCode) {
      const now = d.clock.now();
      const kept = taskFacts.get(taskCode);
      if (kept && kept.until > now) return kept.facts;
      const facts = await readTaskFacts(taskCode);
      taskFacts.set(taskCode, { facts, until: now + TASK_FACTS_TTL_MS });
      return facts;
    },
    agentDomain: (username) => d.agents.get(username)?.sipDomain ?? '',
    recordPath: (callId, now) => recordingPath(d.recordingsDir, callId, now),
    outcomeOf(leg: LegInfo, facts: FlowFacts, end: LegEnd): StoredOutcome {
      const outcome = classifyCall({
        answered: end.answered,
        hangupCause: end.hangupCause,
        sipTermStatus: end.sipTermStatus,
        hangupDisposition: end.hangupDisposition,
        flow: facts,
      });
      const verdict = d.answerVerdict?.(leg.callId, outcome.resultDetail);
      const record: CallOutcome = {
        callId: leg.callId,
        taskCode: leg.taskCode || null,
        projectCode: leg.projectCode || null,
        gatewayCode: leg.gatewayCode || null,
        numberId: leg.numberId,
        resultDetail: outcome.resultDetail,
        // One source per field: when FreeSWITCH's CDR came first, its measurements stay and the price follows its
        // billsec (the flow's own timing is only an estimate of the same thing).
        compose: ({ taskId, projectId, gateway, measured }) => {
          const rule = gateway ? priceRuleOf(gateway) : null;
          const billsec =
            measured?.billsec ??
            (end.answeredAt !== undefined ? Math.round((end.endedAt - end.answeredAt) / 1000) : 0);
          return {
            taskId,
            projectId,
            callTaskCode: leg.taskCode || null,
            direction: leg.flow === 'inbound' ? 'inbound' : 'outbound',
            callerIdNumber: facts.agent ?? null,
            destinationNumber: leg.flow === 'inbound' ? leg.callerIdNumber : leg.destinationNumber,
            gatewayId: gateway?.id ?? null,
            ...(measured
              ? {}
              : {
                  startTimestamp: end.startedAt,
                  answerTimestamp: end.answeredAt ?? null,
                  endTimestamp: end.endedAt,
                  duration: Math.round((end.endedAt - end.startedAt) / 1000),
                  billsec,
                  hangupCause: end.hangupCause,
                  sipTermStatus: end.sipTermStatus ?? null,
                  hangupDisposition: end.hangupDisposition ?? null,
                }),
            // FreeSWITCH deletes a recording without audio and says so (RECORD_DISCARDED): the log must not name it.
            recordFile: end.answered && !end.recordDiscarded ? (end.recordFile ?? null) : null,
            priceRule: rule,
            priceCal: priceCal(rule, billsec),
            result: outcome.result,
            resultDetail: outcome.resultDetail,
            evaluation: facts.evaluation ?? null,
            amdVerdict: facts.amd?.verdict ?? null,
            amdMs: facts.amd?.atMs ?? null,
            ...verdict,
          };
        },
      };
      return {
        record,
        stored: () => {
          if (end.answered && end.recordFile) d.enqueueRecording?.(leg.callId, end.recordFile, end.startedAt);
          d.onOutcome?.({ leg, result: outcome.result, resultDetail: outcome.resultDetail });
        },
      };
    },
    storeOutcomes: (records) => d.repos.callOutcomes.store(records, d.clock.now()),
  };
}
