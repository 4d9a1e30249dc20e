import { eq } from 'drizzle-orm';
import { changed, first, one, type PgExecutor } from '../rows.js';
import { apiAccounts } from '../schema.js';

type ApiAccount = typeof apiAccounts.$inferSelect;

export function pgAccountsRepo(db: PgExecutor) {
  return {
    find: async (account: string): Promise<ApiAccount | undefined> =>
      first(await db.select().from(apiAccounts).where(eq(apiAccounts.account, account))),
    list: (): Promise<ApiAccount[]> => db.select().from(apiAccounts),
    insert: async (row: {
      account: string;
      secret: string;
      ipAllowlist?: string;
      expiresAt?: number | null;
      now: number;
    }): Promise<ApiAccount> =>
      one(
        await db
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
          .returning(),
      ),
    update: async (
      account: string,
      patch: Partial<Pick<ApiAccount, 'status' | 'secret' | 'ipAllowlist' | 'expiresAt' | 'signMode'>>,
      now: number,
    ): Promise<ApiAccount | undefined> =>
      first(
        await db
          .update(apiAccounts)
          .set({ ...patch, updatedAt: now })
          .where(eq(apiAccounts.account, account))
          .returning(),
      ),
    remove: async (account: string): Promise<boolean> =>
      changed(await db.delete(apiAccounts).where(eq(apiAccounts.account, account))) > 0,
  };
}
