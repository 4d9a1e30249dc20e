// The wallboard's answering-machine figure (issue 23): machines found among the project's calls of the last hour.
// A query of its own, apart from the wallboard's others, so the move to repository ports can take it as it is.
import { and, count, eq, gte, inArray } from 'drizzle-orm';
import { AmdResultDetail } from '../core/codes.js';
import type { Db } from '../db/database.js';
import { callLogs } from '../db/schema.js';

/** Calls of the project started since `since` that an answering machine took (resultDetail 60, 61). */
export function machinesSince(db: Db, projectId: number, since: number): number {
  return (
    db
      .select({ n: count() })
      .from(callLogs)
      .where(
        and(
          eq(callLogs.projectId, projectId),
          gte(callLogs.startTimestamp, since),
          inArray(callLogs.resultDetail, Object.values(AmdResultDetail)),
        ),
      )
      .get()?.n ?? 0
  );
}
