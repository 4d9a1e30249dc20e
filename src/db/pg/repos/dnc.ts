// Do-not-call numbers (issue 14.6), as src/db/repos/dnc.ts: every change is one transaction.
import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { BULK_CHUNK, insertDncNumbers } from '../bulk.js';
import { changed, first, INSERT_CHUNK, type PgExecutor, transaction } from '../rows.js';
import { dncNumbers } from '../schema.js';

type DncNumber = typeof dncNumbers.$inferSelect;

export function pgDncRepo(db: PgExecutor) {
  // Every dispensed batch is looked up (issue 21): one named statement whatever the number of phones, prepared at
  // the first lookup (the arrays are bound as one parameter each).
  let lookup: ReturnType<typeof prepareLookup> | undefined;
  const prepareLookup = () =>
    db
      .select()
      .from(dncNumbers)
      .where(
        and(
          sql`${dncNumbers.projectCode} = any(${sql.placeholder('scopes')}::text[])`,
          sql`${dncNumbers.phone} = any(${sql.placeholder('phones')}::text[])`,
        ),
      )
      .prepare('cc_dnc_listed');
  /** Inserts the phones a list lacks; returns the phones that were new, each once, in the order given. */
  const insertNew = (projectCode: string, phones: string[], note: string | null, now: number) =>
    transaction(db, async (tx) => {
      const added = new Set<string>();
      for (let i = 0; i < phones.length; i += BULK_CHUNK)
        for (const phone of await insertDncNumbers(
          tx,
          projectCode,
          phones.slice(i, i + BULK_CHUNK),
          note,
          now,
        ))
          added.add(phone);
      const seen = new Set<string>();
      return phones.filter((p) => added.has(p) && !seen.has(p) && seen.add(p));
    });
  return {
    /** Inserts the phones a list lacks, in one transaction; returns how many were new. */
    add: async (projectCode: string, phones: string[], note: string | null, now: number): Promise<number> =>
      (await insertNew(projectCode, phones, note, now)).length,
    /** Inserts the phones the list lacks, in one transaction; returns the phones that were new. */
    addNew: (projectCode: string, phones: string[], note: string | null, now: number): Promise<string[]> =>
      insertNew(projectCode, phones, note, now),
    /** Deletes the phones from the list; returns the rows deleted (in the order given), so they can be restored. */
    removeRows: (projectCode: string, phones: string[]): Promise<DncNumber[]> =>
      transaction(db, async (tx) => {
        const deleted = new Map<string, DncNumber>();
        for (let i = 0; i < phones.length; i += INSERT_CHUNK)
          for (const row of await tx
            .delete(dncNumbers)
            .where(
              and(
                eq(dncNumbers.projectCode, projectCode),
                inArray(dncNumbers.phone, phones.slice(i, i + INSERT_CHUNK)),
              ),
            )
            .returning())
            deleted.set(row.phone, row);
        return phones.flatMap((p) => {
          const row = deleted.get(p);
          deleted.delete(p);
          return row ? [row] : [];
        });
      }),
    /** Puts deleted rows back as they were (same id, note and time). */
    restore: (rows: DncNumber[]): Promise<void> =>
      transaction(db, async (tx) => {
        for (let i = 0; i < rows.length; i += INSERT_CHUNK)
          await tx
            .insert(dncNumbers)
            .values(rows.slice(i, i + INSERT_CHUNK))
            .onConflictDoNothing();
      }),
    remove: (projectCode: string, phones: string[]): Promise<number> =>
      transaction(db, async (tx) => {
        let removed = 0;
        for (let i = 0; i < phones.length; i += INSERT_CHUNK)
          removed += changed(
            await tx
              .delete(dncNumbers)
              .where(
                and(
                  eq(dncNumbers.projectCode, projectCode),
                  inArray(dncNumbers.phone, phones.slice(i, i + INSERT_CHUNK)),
                ),
              ),
          );
        return removed;
      }),
    /** Which of `phones` are on the global list or on `projectCode`'s, and on which (global first). */
    async listed(projectCode: string | null, phones: string[]): Promise<Map<string, DncNumber>> {
      const out = new Map<string, DncNumber>();
      const scopes = projectCode ? ['', projectCode] : [''];
      lookup ??= prepareLookup();
      for (let i = 0; i < phones.length; i += INSERT_CHUNK) {
        const rows = await lookup.execute({ scopes, phones: phones.slice(i, i + INSERT_CHUNK) });
        for (const r of rows) {
          const known = out.get(r.phone);
          if (!known || (known.projectCode !== '' && r.projectCode === '')) out.set(r.phone, r);
        }
      }
      return out;
    },
    has: async (projectCode: string, phone: string): Promise<boolean> =>
      first(
        await db
          .select({ id: dncNumbers.id })
          .from(dncNumbers)
          .where(and(eq(dncNumbers.projectCode, projectCode), eq(dncNumbers.phone, phone)))
          .limit(1),
      ) !== undefined,
    async page(
      projectCode: string | undefined,
      offset: number,
      limit: number,
    ): Promise<{ total: number; items: DncNumber[] }> {
      const where: SQL | undefined =
        projectCode === undefined ? undefined : eq(dncNumbers.projectCode, projectCode);
      const total = first(await db.select({ n: count() }).from(dncNumbers).where(where))?.n ?? 0;
      const items = await db
        .select()
        .from(dncNumbers)
        .where(where)
        .orderBy(asc(dncNumbers.id))
        .limit(limit)
        .offset(offset);
      return { total, items };
    },
  };
}
