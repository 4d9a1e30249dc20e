// Do-not-call numbers (issue 14.6): the global list (projectCode '') and one list per project code. Phones are
// stored as their digits (a leading + dropped), which is also how dispensing looks them up.
import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { dncNumbers } from '../schema.js';
import { preparedOnce } from './prepared.js';

type DncNumber = typeof dncNumbers.$inferSelect;

/** Rows per IN (...) lookup, well under SQLite's bound-variable limit. */
const CHUNK = 500;

export function dncRepo(db: Db) {
  // Every dispensed batch is looked up (issue 21): one statement prepared per number of scopes and phones.
  const lookups = new Map<string, ReturnType<typeof prepareLookup>>();
  function prepareLookup(scopes: number, phones: number) {
    const slots = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, k) => sql.placeholder(`${prefix}${k}`));
    return db
      .select()
      .from(dncNumbers)
      .where(
        and(
          inArray(dncNumbers.projectCode, slots('s', scopes)),
          inArray(dncNumbers.phone, slots('p', phones)),
        ),
      )
      .prepare();
  }
  // One prepared statement per row, for imports (issue 17.10): building a 500-row statement with drizzle for each
  // chunk cost ~50 ms per 1,000 numbers, all of it on the event loop.
  const insertOne = db
    .insert(dncNumbers)
    .values({
      projectCode: sql.placeholder('projectCode'),
      phone: sql.placeholder('phone'),
      note: sql.placeholder('note'),
      createdAt: sql.placeholder('now'),
    })
    .onConflictDoNothing()
    .prepare();
  const deleteOne = db
    .delete(dncNumbers)
    .where(
      and(
        eq(dncNumbers.projectCode, sql.placeholder('projectCode')),
        eq(dncNumbers.phone, sql.placeholder('phone')),
      ),
    )
    .returning()
    .prepare();
  return {
    /** Inserts the phones a list lacks, in one transaction; returns how many were new. */
    add: (projectCode: string, phones: string[], note: string | null, now: number): number =>
      db.transaction(() => {
        let added = 0;
        for (let i = 0; i < phones.length; i += CHUNK)
          added += db
            .insert(dncNumbers)
            .values(phones.slice(i, i + CHUNK).map((phone) => ({ projectCode, phone, note, createdAt: now })))
            .onConflictDoNothing()
            .run().changes;
        return added;
      }),
    /** Inserts the phones the list lacks, in one transaction; returns the phones that were new. */
    addNew: (projectCode: string, phones: string[], note: string | null, now: number): string[] =>
      db.transaction(() =>
        phones.filter((phone) => insertOne.run({ projectCode, phone, note, now }).changes > 0),
      ),
    /** Deletes the phones from the list; returns the rows deleted, so that they can be put back (restore). */
    removeRows: (projectCode: string, phones: string[]): DncNumber[] =>
      db.transaction(() =>
        phones.flatMap((phone) => {
          const row = deleteOne.get({ projectCode, phone });
          return row ? [row] : [];
        }),
      ),
    /** Puts deleted rows back as they were (same id, note and time). */
    restore: (rows: DncNumber[]): void =>
      db.transaction(() => {
        for (let i = 0; i < rows.length; i += CHUNK / 5)
          db.insert(dncNumbers)
            .values(rows.slice(i, i + CHUNK / 5))
            .onConflictDoNothing()
            .run();
      }),
    remove: (projectCode: string, phones: string[]): number =>
      db.transaction(() => {
        let removed = 0;
        for (let i = 0; i < phones.length; i += CHUNK)
          removed += db
            .delete(dncNumbers)
            .where(
              and(
                eq(dncNumbers.projectCode, projectCode),
                inArray(dncNumbers.phone, phones.slice(i, i + CHUNK)),
              ),
            )
            .run().changes;
        return removed;
      }),
    /** Which of `phones` are on the global list or on `projectCode`'s, and on which (global first). */
    listed(projectCode: string | null, phones: string[]): Map<string, DncNumber> {
      const out = new Map<string, DncNumber>();
      const scopes = projectCode ? ['', projectCode] : [''];
      for (let i = 0; i < phones.length; i += CHUNK) {
        const chunk = phones.slice(i, i + CHUNK);
        const lookup = preparedOnce(lookups, `${scopes.length}/${chunk.length}`, () =>
          prepareLookup(scopes.length, chunk.length),
        );
        const values: Record<string, string> = {};
        scopes.forEach((scope, k) => (values[`s${k}`] = scope));
        chunk.forEach((phone, k) => (values[`p${k}`] = phone));
        for (const r of lookup.all(values)) {
          const known = out.get(r.phone);
          if (!known || (known.projectCode !== '' && r.projectCode === '')) out.set(r.phone, r);
        }
      }
      return out;
    },
    has: (projectCode: string, phone: string): boolean =>
      db
        .select({ id: dncNumbers.id })
        .from(dncNumbers)
        .where(and(eq(dncNumbers.projectCode, projectCode), eq(dncNumbers.phone, phone)))
        .get() !== undefined,
    page(
      projectCode: string | undefined,
      offset: number,
      limit: number,
    ): { total: number; items: DncNumber[] } {
      const where: SQL | undefined =
        projectCode === undefined ? undefined : eq(dncNumbers.projectCode, projectCode);
      const total = db.select({ n: count() }).from(dncNumbers).where(where).get()?.n ?? 0;
      const items = db
        .select()
        .from(dncNumbers)
        .where(where)
        .orderBy(asc(dncNumbers.id))
        .limit(limit)
        .offset(offset)
        .all();
      return { total, items };
    },
  };
}
export type DncRepo = Async<ReturnType<typeof dncRepo>>;
