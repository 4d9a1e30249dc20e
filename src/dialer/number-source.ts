// Dispensing from task_numbers: pending → dialing in one SQLite transaction, so two ticks (or two processes on
// the same file) can never hand out the same number, and a crash leaves it 'dialing', never 'pending' again.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/database.js';
import { taskNumbers } from '../db/schema.js';
import type { NumberSource } from './dialer.js';

export function sqliteNumberSource(db: Db): NumberSource {
  return {
    dispense(taskId, n, now) {
      if (n <= 0) return [];
      return db.transaction((tx) => {
        const rows = tx
          .select({ id: taskNumbers.id, phone: taskNumbers.phone })
          .from(taskNumbers)
          .where(and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.state, 'pending')))
          .orderBy(asc(taskNumbers.id))
          .limit(n)
          .all();
        if (rows.length)
          tx.update(taskNumbers)
            .set({ state: 'dialing', updatedAt: now })
            .where(
              inArray(
                taskNumbers.id,
                rows.map((r) => r.id),
              ),
            )
            .run();
        return rows;
      });
    },
    settle(id, outcome, now) {
      db.update(taskNumbers)
        .set({
          state: 'done',
          callUuid: outcome.callUuid || null,
          resultDetail: outcome.resultDetail,
          updatedAt: now,
        })
        .where(eq(taskNumbers.id, id))
        .run();
    },
  };
}
