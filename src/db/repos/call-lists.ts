// Call lists (the numbers a task dials). Numbers carry a global id so "everything after id N" (callListLastId,
// callTaskAdditional) is one range query.
import { and, asc, eq, gt, gte } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { callListNumbers, callLists } from '../schema.js';

type CallList = typeof callLists.$inferSelect;

const CHUNK = 500;

export function callListsRepo(db: Db) {
  return {
    get: (id: number): CallList | undefined => db.select().from(callLists).where(eq(callLists.id, id)).get(),
    create: (name: string | null, now: number): CallList =>
      db.insert(callLists).values({ name, createdAt: now, updatedAt: now }).returning().get(),
    /** Phones already in the list, among those given. */
    existing(callListId: number, phones: string[]): Set<string> {
      const wanted = new Set(phones);
      const rows = db
        .select({ phone: callListNumbers.phone })
        .from(callListNumbers)
        .where(eq(callListNumbers.callListId, callListId))
        .all();
      return new Set(rows.map((r) => r.phone).filter((p) => wanted.has(p)));
    },
    /** Inserts the phones in order (the caller removed duplicates); returns the id of the last one. */
    insertNumbers(callListId: number, phones: string[], now: number): number | undefined {
      return this.insertNumberRange(callListId, phones, now)?.last;
    },
    /**
     * Screens the phones against the list's numbers and inserts what `screen` keeps, in one transaction (two
     * appends to one list never both take the same new number). `screen` is pure: it sees the listed phones.
     */
    appendScreened(
      callListId: number,
      phones: string[],
      screen: (existing: Set<string>) => string[],
      now: number,
    ): { lastId: number | null; accepted: number } {
      return db.transaction(() => {
        const kept = screen(this.existing(callListId, phones));
        return { lastId: this.insertRange(callListId, kept, now)?.last ?? null, accepted: kept.length };
      });
    },
    /** As insertNumbers, returning the first and last id written; one transaction. */
    insertNumberRange(
      callListId: number,
      phones: string[],
      now: number,
    ): { first: number; last: number } | undefined {
      return db.transaction(() => this.insertRange(callListId, phones, now));
    },
    insertRange(
      callListId: number,
      phones: string[],
      now: number,
    ): { first: number; last: number } | undefined {
      let first: number | undefined;
      let last: number | undefined;
      // Multi-row inserts: one statement per chunk instead of per number (100k numbers in well under a second).
      for (let i = 0; i < phones.length; i += CHUNK) {
        const rows = db
          .insert(callListNumbers)
          .values(phones.slice(i, i + CHUNK).map((phone) => ({ callListId, phone, createdAt: now })))
          .returning({ id: callListNumbers.id })
          .all();
        for (const r of rows) {
          first = Math.min(first ?? r.id, r.id);
          last = Math.max(last ?? r.id, r.id);
        }
      }
      db.update(callLists).set({ updatedAt: now }).where(eq(callLists.id, callListId)).run();
      return first === undefined || last === undefined ? undefined : { first, last };
    },
    /** Deletes the list's numbers from id `fromId` on (undoing an append that failed half-way). */
    removeFrom(callListId: number, fromId: number): void {
      db.delete(callListNumbers)
        .where(and(eq(callListNumbers.callListId, callListId), gte(callListNumbers.id, fromId)))
        .run();
    },
    /** Numbers of the list with an id above `afterId`, oldest first. */
    numbersAfter: (callListId: number, afterId: number, limit?: number): { id: number; phone: string }[] => {
      const q = db
        .select({ id: callListNumbers.id, phone: callListNumbers.phone })
        .from(callListNumbers)
        .where(and(eq(callListNumbers.callListId, callListId), gt(callListNumbers.id, afterId)))
        .orderBy(asc(callListNumbers.id));
      return limit === undefined ? q.all() : q.limit(limit).all();
    },
  };
}
export type CallListsRepo = Async<ReturnType<typeof callListsRepo>>;
