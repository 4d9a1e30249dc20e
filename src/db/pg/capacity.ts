// Shared capacity on PostgreSQL (issue 20; the port is src/cluster/capacity-ledger.ts): an instance's claim on a
// resource is granted under a transaction-scoped lock of that resource, and only as far as the unexpired claims of
// the other instances leave room below the limit, so the claims never add up to more than it. How much it asks for
// depends on how many instances claim the resource, read under the same lock. Times are the
// database's (now()), as for the leases.
import { sql } from 'drizzle-orm';
import type { CapacityStore } from '../../cluster/capacity-ledger.js';
import { DB_NOW_MS } from './leases.js';
import type { PgDb } from './open.js';

export function pgCapacityStore(db: PgDb): CapacityStore {
  return {
    claim: (resource, instanceId, want, limit, ttlMs) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`capacity:${resource}`}, 0))`);
        const r = await tx.execute<{ others: number; claimants: number; db_now: string }>(sql`
          SELECT coalesce(sum(amount), 0)::int AS others, count(*)::int AS claimants, ${DB_NOW_MS} AS db_now
          FROM capacity_claims
          WHERE resource = ${resource} AND instance_id <> ${instanceId} AND expires_at > ${DB_NOW_MS}`);
        const row = r.rows[0]!;
        const asked = want(Number(row.claimants) + 1);
        const granted = Math.max(0, Math.min(asked, limit - Number(row.others)));
        const dbNow = Number(row.db_now);
        // Nothing asked (the resource went idle here): no row, so the others stop counting this instance at once.
        if (asked === 0) {
          await tx.execute(
            sql`DELETE FROM capacity_claims WHERE resource = ${resource} AND instance_id = ${instanceId}`,
          );
          return { granted: 0, expiresAt: dbNow + ttlMs, dbNow };
        }
        await tx.execute(sql`
          INSERT INTO capacity_claims (resource, instance_id, amount, expires_at)
          VALUES (${resource}, ${instanceId}, ${granted}, ${dbNow + ttlMs})
          ON CONFLICT (resource, instance_id) DO UPDATE SET amount = excluded.amount, expires_at = excluded.expires_at`);
        return { granted, expiresAt: dbNow + ttlMs, dbNow };
      }),
    async leave(instanceId) {
      await db.execute(sql`DELETE FROM capacity_claims WHERE instance_id = ${instanceId}`);
    },
  };
}
