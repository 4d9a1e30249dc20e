// What the call runner needs from the rest of the system: task facts for a leg, agents' SIP domains, recording
// paths, and the durable outcome of each customer leg (call log, billing, the dialled number settled, the
// recording queued for upload).
import { eq, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import type { Db } from '../db/database.js';
import type { Repos } from '../db/repos/index.js';
import type { CallLogsRepo } from '../db/repos/call-logs.js';
import { taskNumbers, tasks, voices } from '../db/schema.js';
import { recordingPath } from '../storage/keys.js';
import { priceCal, priceRuleOf } from '../switch/billing.js';
import { classifyCall } from '../switch/results.js';
import type { FlowFacts, LegInfo } from './flows/types.js';
import type { CallServices, LegEnd } from './legs/types.js';
import { amdOfTask } from './amd/task-amd.js';

interface LegOutcome {
  leg: LegInfo;
  result: number;
  resultDetail: number;
}

export function callServices(d: {
  db: Db;
  repos: Repos;
  callLogs: CallLogsRepo;
  clock: Clock;
  recordingsDir: string;
  /** Queues a finished recording for upload (when Qiniu is configured). */
  enqueueRecording?: (callUuid: string, filePath: string, startedAt: number) => void;
  /** Told after each customer leg is stored (the dialer updates its counters and pacing). */
  onOutcome?: (o: LegOutcome) => void;
}): CallServices {
  // Prepared once: read as each leg connects, before its flow's first command (issue 13).
  const taskByCode = d.db
    .select()
    .from(tasks)
    .where(eq(tasks.callTaskCode, sql.placeholder('code')))
    .prepare();
  const voiceByCode = d.db
    .select()
    .from(voices)
    .where(eq(voices.voiceCode, sql.placeholder('code')))
    .prepare();
  const settleNumber = d.db
    .update(taskNumbers)
    .set({
      state: 'done',
      resultDetail: sql`${sql.placeholder('resultDetail')}`,
      callUuid: sql`${sql.placeholder('callUuid')}`,
      updatedAt: sql`${sql.placeholder('now')}`,
    })
    .where(eq(taskNumbers.id, sql.placeholder('id')))
    .prepare();
  return {
    inTransaction(writes) {
      d.db.transaction(() => writes());
    },
    taskInfo(taskCode) {
      const task = taskByCode.get({ code: taskCode });
      if (!task) return undefined;
      const voice = task.voiceCode ? voiceByCode.get({ code: task.voiceCode }) : undefined;
      // Answering-machine detection (issue 23): read with the task, so the answer adds no query of its own.
      const amd = amdOfTask(task, (code) => voiceByCode.get({ code })?.filePath);
      return { voiceFile: voice?.filePath, evaluation: task.evaluation === 1, amd };
    },
    agentDomain(username) {
      const ext = d.repos.extensions.byUsername(username);
      const node = ext ? d.repos.nodes.get(ext.nodeId) : undefined;
      return node?.sipDomain ?? '';
    },
    recordPath: (callId, now) => recordingPath(d.recordingsDir, callId, now),
    legEnded(leg: LegInfo, facts: FlowFacts, end: LegEnd) {
      const outcome = classifyCall({
        answered: end.answered,
        hangupCause: end.hangupCause,
        sipTermStatus: end.sipTermStatus,
        hangupDisposition: end.hangupDisposition,
        flow: facts,
      });
      const { taskId, projectId } = d.callLogs.resolveCodes({
        taskCode: leg.taskCode || null,
        projectCode: leg.projectCode || null,
      });
      const gw = leg.gatewayCode ? d.repos.gateways.byCode(leg.gatewayCode) : undefined;
      const rule = gw ? priceRuleOf(gw) : null;
      const now = d.clock.now();
      // One source per field: when FreeSWITCH's CDR came first, its measurements stay and the price follows its
      // billsec (the flow's own timing is only an estimate of the same thing).
      const cdr = d.callLogs.get(leg.callId);
      const measured = cdr?.cdrReceived ? cdr : undefined;
      const billsec =
        measured?.billsec ??
        (end.answeredAt !== undefined ? Math.round((end.endedAt - end.answeredAt) / 1000) : 0);
      d.callLogs.upsert(
        leg.callId,
        {
          taskId,
          projectId,
          callTaskCode: leg.taskCode || null,
          direction: leg.flow === 'inbound' ? 'inbound' : 'outbound',
          callerIdNumber: facts.agent ?? null,
          destinationNumber: leg.flow === 'inbound' ? leg.callerIdNumber : leg.destinationNumber,
          gatewayId: gw?.id ?? null,
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
        },
        now,
      );
      if (leg.numberId !== null)
        settleNumber.run({ resultDetail: outcome.resultDetail, callUuid: leg.callId, now, id: leg.numberId });
      if (end.answered && end.recordFile) d.enqueueRecording?.(leg.callId, end.recordFile, end.startedAt);
      d.onOutcome?.({ leg, result: outcome.result, resultDetail: outcome.resultDetail });
    },
  };
}
