import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Async } from './async.js';
import type { Db } from '../database.js';
import { gateways } from '../schema.js';

export type Gateway = typeof gateways.$inferSelect;
export type GatewayFields = Omit<Gateway, 'id' | 'createdAt' | 'updatedAt'>;

export function gatewaysRepo(db: Db) {
  // Prepared once: the dialer and every call's outcome read gateways, and building the query each time cost more
  // than running it (issue 13).
  const byId = db
    .select()
    .from(gateways)
    .where(eq(gateways.id, sql.placeholder('id')))
    .prepare();
  const byCode = db
    .select()
    .from(gateways)
    .where(eq(gateways.gwCode, sql.placeholder('code')))
    .prepare();
  return {
    get: (id: number): Gateway | undefined => byId.get({ id }),
    byCode: (gwCode: string): Gateway | undefined => byCode.get({ code: gwCode }),
    byCodes: (codes: string[]): Gateway[] =>
      codes.length === 0 ? [] : db.select().from(gateways).where(inArray(gateways.gwCode, codes)).all(),
    enabled: (): Gateway[] =>
      db.select().from(gateways).where(eq(gateways.status, 1)).orderBy(gateways.id).all(),
    insert: (fields: GatewayFields, now: number): Gateway =>
      db
        .insert(gateways)
        .values({ ...fields, createdAt: now, updatedAt: now })
        .returning()
        .get(),
    update: (id: number, fields: Partial<GatewayFields>, now: number): Gateway | undefined =>
      db
        .update(gateways)
        .set({ ...fields, updatedAt: now })
        .where(eq(gateways.id, id))
        .returning()
        .get(),
    page(
      filter: { status?: number; id?: number },
      offset: number,
      limit: number,
    ): { total: number; items: Gateway[] } {
      const conds: SQL[] = [];
      if (filter.status !== undefined) conds.push(eq(gateways.status, filter.status));
      if (filter.id !== undefined) conds.push(eq(gateways.id, filter.id));
      const where = conds.length ? and(...conds) : undefined;
      const total = db.select({ n: count() }).from(gateways).where(where).get()?.n ?? 0;
      const items = db
        .select()
        .from(gateways)
        .where(where)
        .orderBy(desc(gateways.id))
        .limit(limit)
        .offset(offset)
        .all();
      return { total, items };
    },
  };
}
export type GatewaysRepo = Async<ReturnType<typeof gatewaysRepo>>;
