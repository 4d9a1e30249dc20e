// Call lists (the numbers a task dials), as src/db/repos/call-lists.ts. An import is one transaction: a failure
// leaves the list as it was.
import { and, asc, eq, gt, gte, inArray } from 'drizzle-orm';
import { BULK_CHUNK, insertListNumbers } from '../bulk.js';
import { first, INSERT_CHUNK, one, type PgExecutor, transaction } from '../rows.js';
import { callListNumbers, callLists } from '../schema.js';

type CallList = typeof callLists.$inferSelect;

export function pgCallListsRepo(db: PgExecutor) {
  return {
    get: async (id: number): Promise<CallList | undefined> =>
      first(await db.select().from(callLists).where(eq(callLists.id, id))),
    create: async (name: string | null, now: number): Promise<CallList> =>
      one(await db.insert(callLists).values({ name, createdAt: now, updatedAt: now }).returning()),
    /** Phones already in the list, among those given. */
    async existing(callListId: number, phones: string[]): Promise<Set<string>> {
      const out = new Set<string>();
      for (let i = 0; i < phones.length; i += INSERT_CHUNK) {
        const rows = await db
          .select({ phone: callListNumbers.phone })
          .from(callListNumbers)
          .where(
            and(
              eq(callListNumbers.callListId, callListId),
              inArray(callListNumbers.phone, phones.slice(i, i + INSERT_CHUNK)),
            ),
          );
        for (const r of rows) out.add(r.phone);
      }
      return out;
    },
    /** Inserts the phones in order (the caller removed duplicates); returns the id of the last one. */
    async insertNumbers(callListId: number, phones: string[], now: number): Promise<number | undefined> {
      return (await this.insertNumberRange(callListId, phones, now))?.last;
    },
    /**
     * Screens the phones against the list's numbers and inserts what `screen` keeps, in one transaction. The list's
     * row is locked first, so two appends to one list run one after the other and never both take a new number.
     */
    appendScreened: (
      callListId: number,
      phones: string[],
      screen: (existing: Set<string>) => string[],
      now: number,
    ): Promise<{ lastId: number | null; accepted: number }> =>
      transaction(db, async (tx) => {
        await tx
          .select({ id: callLists.id })
          .from(callLists)
          .where(eq(callLists.id, callListId))
          .for('update');
        const list = pgCallListsRepo(tx);
        const kept = screen(await list.existing(callListId, phones));
        return {
          lastId: (await list.insertRange(callListId, kept, now))?.last ?? null,
          accepted: kept.length,
        };
      }),
    /** As insertNumbers, returning the first and last id written; one transaction. */
    insertNumberRange: (
      callListId: number,
      phones: string[],
      now: number,
    ): Promise<{ first: number; last: number } | undefined> =>
      transaction(db, (tx) => pgCallListsRepo(tx).insertRange(callListId, phones, now)),
    /** Inserts the phones in order (in the caller's transaction); returns the first and last id written. */
    async insertRange(
      callListId: number,
      phones: string[],
      now: number,
    ): Promise<{ first: number; last: number } | undefined> {
      let low: number | undefined;
      let high: number | undefined;
      for (let i = 0; i < phones.length; i += BULK_CHUNK)
        for (const id of await insertListNumbers(db, callListId, phones.slice(i, i + BULK_CHUNK), now)) {
          low = Math.min(low ?? id, id);
          high = Math.max(high ?? id, id);
        }
      await db.update(callLists).set({ updatedAt: now }).where(eq(callLists.id, callListId));
      return low === undefined || high === undefined ? undefined : { first: low, last: high };
    },
    /** Deletes the list's numbers from id `fromId` on (undoing an append that failed half-way). */
    async removeFrom(callListId: number, fromId: number): Promise<void> {
      await db
        .delete(callListNumbers)
        .where(and(eq(callListNumbers.callListId, callListId), gte(callListNumbers.id, fromId)));
    },
    /** Numbers of the list with an id above `afterId`, oldest first. */
    numbersAfter: async (
      callListId: number,
      afterId: number,
      limit?: number,
    ): Promise<{ id: number; phone: string }[]> => {
      const q = db
        .select({ id: callListNumbers.id, phone: callListNumbers.phone })
        .from(callListNumbers)
        .where(and(eq(callListNumbers.callListId, callListId), gt(callListNumbers.id, afterId)))
        .orderBy(asc(callListNumbers.id));
      return limit === undefined ? q : q.limit(limit);
    },
  };
}
