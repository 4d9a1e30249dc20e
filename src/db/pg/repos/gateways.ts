import { and, count, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { first, one, type PgExecutor } from '../rows.js';
import { gateways } from '../schema.js';

type Gateway = typeof gateways.$inferSelect;
type GatewayFields = Omit<Gateway, 'id' | 'createdAt' | 'updatedAt'>;

export function pgGatewaysRepo(db: PgExecutor) {
  return {
    get: async (id: number): Promise<Gateway | undefined> =>
      first(await db.select().from(gateways).where(eq(gateways.id, id))),
    byCode: async (gwCode: string): Promise<Gateway | undefined> =>
      first(await db.select().from(gateways).where(eq(gateways.gwCode, gwCode))),
    byCodes: async (codes: string[]): Promise<Gateway[]> =>
      codes.length === 0 ? [] : db.select().from(gateways).where(inArray(gateways.gwCode, codes)),
    enabled: (): Promise<Gateway[]> =>
      db.select().from(gateways).where(eq(gateways.status, 1)).orderBy(gateways.id),
    insert: async (fields: GatewayFields, now: number): Promise<Gateway> =>
      one(
        await db
          .insert(gateways)
          .values({ ...fields, createdAt: now, updatedAt: now })
          .returning(),
      ),
    update: async (id: number, fields: Partial<GatewayFields>, now: number): Promise<Gateway | undefined> =>
      first(
        await db
          .update(gateways)
          .set({ ...fields, updatedAt: now })
          .where(eq(gateways.id, id))
          .returning(),
      ),
    async page(
      filter: { status?: number; id?: number },
      offset: number,
      limit: number,
    ): Promise<{ total: number; items: Gateway[] }> {
      const conds: SQL[] = [];
      if (filter.status !== undefined) conds.push(eq(gateways.status, filter.status));
      if (filter.id !== undefined) conds.push(eq(gateways.id, filter.id));
      const where = conds.length ? and(...conds) : undefined;
      const total = first(await db.select({ n: count() }).from(gateways).where(where))?.n ?? 0;
      const items = await db
        .select()
        .from(gateways)
        .where(where)
        .orderBy(desc(gateways.id))
        .limit(limit)
        .offset(offset);
      return { total, items };
    },
  };
}
