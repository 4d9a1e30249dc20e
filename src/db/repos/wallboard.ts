// The wallboard's figures that come from the call logs (SQLite): calls started in the last minute and the dialer's
// live-answer verdicts of the last hour, per project.
import { and, count, eq, gte, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { AmdResultDetail } from '../../core/codes.js';
import type { Db } from '../database.js';
import { callLogs } from '../schema.js';

const HOUR_MS = 3600_000;

export interface CallFigures {
  callsLastMinute: number;
  liveAnswersLastHour: number;
  abandonedLastHour: number;
  /** Calls an answering machine took (issue 23: resultDetail 60, 61) in the last hour. */
  machinesLastHour: number;
}

export function wallboardRepo(db: Db) {
  return {
    figures(projectId: number, now: number): CallFigures {
      const calls =
        db
          .select({ n: count() })
          .from(callLogs)
          .where(
            and(
              eq(callLogs.projectId, projectId),
              gte(callLogs.startTimestamp, now - 60_000),
              isNull(callLogs.skipReason),
            ),
          )
          .get()?.n ?? 0;
      const live = db
        .select({ n: count(), abandoned: sql<number>`coalesce(sum(${callLogs.abandoned}), 0)` })
        .from(callLogs)
        .where(
          and(
            eq(callLogs.projectId, projectId),
            isNotNull(callLogs.abandoned),
            gte(callLogs.startTimestamp, now - HOUR_MS),
          ),
        )
        .get();
      const machines =
        db
          .select({ n: count() })
          .from(callLogs)
          .where(
            and(
              eq(callLogs.projectId, projectId),
              gte(callLogs.startTimestamp, now - HOUR_MS),
              inArray(callLogs.resultDetail, Object.values(AmdResultDetail)),
            ),
          )
          .get()?.n ?? 0;
      return {
        callsLastMinute: calls,
        machinesLastHour: machines,
        liveAnswersLastHour: live?.n ?? 0,
        abandonedLastHour: Number(live?.abandoned ?? 0),
      };
    },
  };
}
