import { eq } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { apiAccounts } from '../schema.js';

export type ApiAccount = typeof apiAccounts.$inferSelect;

export function accountsRepo(db: Db) {
  return {
    find: (account: string): ApiAccount | undefined =>
      db.select().from(apiAccounts).where(eq(apiAccounts.account, account)).get(),
    list: (): ApiAccount[] => db.select().from(apiAccounts).all(),
    insert: (row: {
      account: string;
      secret: string;
      ipAllowlist?: string;
      expiresAt?: number | null;
      now: number;
    }) =>
      db
        .insert(apiAccounts)
        .values({
          account: row.account,
          secret: row.secret,
          ipAllowlist: row.ipAllowlist ?? '',
          expiresAt: row.expiresAt ?? null,
          status: 1,
          createdAt: row.now,
          updatedAt: row.now,
        })
        .returning()
        .get(),
    update: (
      account: string,
      patch: Partial<Pick<ApiAccount, 'status' | 'secret' | 'ipAllowlist' | 'expiresAt' | 'signMode'>>,
      now: number,
    ): ApiAccount | undefined =>
      db
        .update(apiAccounts)
        .set({ ...patch, updatedAt: now })
        .where(eq(apiAccounts.account, account))
        .returning()
        .get(),
    remove: (account: string): boolean =>
      db.delete(apiAccounts).where(eq(apiAccounts.account, account)).run().changes > 0,
  };
}
export type AccountsRepo = Async<ReturnType<typeof accountsRepo>>;
