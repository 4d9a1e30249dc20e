// The lease store on PostgreSQL (issue 20; the port is src/cluster/lease-store.ts). Every time is the database's
// now(), in ms, so instances with skewed clocks agree on expiry; every change is one compare-and-set statement on the
// row (READ COMMITTED re-checks the WHERE against the row a concurrent writer committed), so of two instances acting
// on the same view at most one wins. The fencing checks the owner's writes carry (dispensing, marking a call) live
// beside the number statements (dispenser.ts) and use `leaseIsCurrent` below.
import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import {
  DEFAULT_LEASE_TIMINGS,
  type InstanceRow,
  type LeaseReply,
  type LeaseRow,
  type LeaseView,
} from '../../cluster/lease-rules.js';
import type { LeaseStore } from '../../cluster/lease-store.js';
import type { PgDb } from './open.js';
import { changed } from './rows.js';

/** The database's now() in ms (the transaction's start: one statement sees one now). */
export const DB_NOW_MS = sql`(extract(epoch from now()) * 1000)::bigint`;

/**
 * True while `instanceId` holds the project's lease at `epoch`, unexpired by the database's clock. Locks the lease row
 * FOR SHARE: a take (an UPDATE of that row) waits for the caller's transaction, so what the caller writes under the
 * grant commits before another instance can hold the project. Placeholders let a prepared statement carry it.
 */
export const leaseIsCurrent = (f: {
  projectCode: string | Placeholder;
  instanceId: string | Placeholder;
  epoch: number | Placeholder;
}): SQL =>
  sql`EXISTS (SELECT 1 FROM project_leases l WHERE l.project_code = ${f.projectCode} AND l.owner = ${f.instanceId}
    AND l.epoch = ${f.epoch} AND l.expires_at > ${DB_NOW_MS} FOR SHARE)`;

interface ReplyRow extends Record<string, unknown> {
  epoch: number;
  expires_at: string;
  db_now: string;
}

const replyOf = (rows: ReplyRow[]): LeaseReply | null => {
  const r = rows[0];
  return r ? { epoch: Number(r.epoch), expiresAt: Number(r.expires_at), dbNow: Number(r.db_now) } : null;
};

/** An instance as the view reads it: with the address FreeSWITCH reaches its socket at. */
export type PgInstanceRow = InstanceRow & { socketAt: string };

export function pgLeaseStore(
  db: PgDb,
): LeaseStore & { view(): Promise<LeaseView & { instances: PgInstanceRow[] }> } {
  const returning = sql`RETURNING epoch, expires_at, ${DB_NOW_MS} AS db_now`;
  return {
    async view() {
      // One statement, one snapshot: now(), the leases of every active project and the instances agree with each
      // other. A project without a row is free at epoch 0 as of now: never overdue, so it goes to the instance the
      // rules assign it to (the least loaded), not to whichever instance reads it first.
      const r = await db.execute<{ db_now: string; leases: LeaseRow[]; instances: PgInstanceRow[] }>(sql`
        SELECT ${DB_NOW_MS} AS db_now,
          coalesce((SELECT json_agg(json_build_object('projectCode', c.code, 'owner', l.owner,
              'epoch', coalesce(l.epoch, 0), 'expiresAt', coalesce(l.expires_at, ${DB_NOW_MS}), 'moveTo', l.move_to)
              ORDER BY c.code)
            FROM (SELECT DISTINCT project_code AS code FROM projects WHERE status = 1) c
            LEFT JOIN project_leases l ON l.project_code = c.code), '[]') AS leases,
          coalesce((SELECT json_agg(json_build_object('id', id, 'seenAt', seen_at, 'load', load,
              'socketAt', socket_at, 'liveSince', live_since) ORDER BY id) FROM cluster_instances), '[]') AS instances`);
      const row = r.rows[0]!;
      return { dbNow: Number(row.db_now), leases: row.leases, instances: row.instances };
    },

    async heartbeat(instanceId, load, socketAt = '', gapMs = DEFAULT_LEASE_TIMINGS.instanceTtlMs) {
      await db.execute(sql`
        INSERT INTO cluster_instances (id, seen_at, load, socket_at, live_since)
        VALUES (${instanceId}, ${DB_NOW_MS}, ${load}, ${socketAt}, ${DB_NOW_MS})
        ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, load = excluded.load, socket_at = excluded.socket_at,
          live_since = CASE WHEN cluster_instances.seen_at <= excluded.seen_at - ${gapMs}::bigint
            THEN excluded.seen_at ELSE cluster_instances.live_since END`);
    },

    async take(projectCode, instanceId, fromEpoch, ttlMs) {
      // A project never leased has no row: the insert is its take from epoch 0; a concurrent inserter then conflicts
      // and the update's epoch check refuses it.
      const r = await db.execute<ReplyRow>(sql`
        INSERT INTO project_leases (project_code, owner, epoch, expires_at, move_to)
        SELECT ${projectCode}, ${instanceId}, 1, ${DB_NOW_MS} + ${ttlMs}, NULL WHERE ${fromEpoch}::int = 0
        ON CONFLICT (project_code) DO UPDATE
          SET owner = excluded.owner, epoch = project_leases.epoch + 1, expires_at = excluded.expires_at, move_to = NULL
          WHERE project_leases.epoch = ${fromEpoch}
            AND (project_leases.owner IS NULL OR project_leases.expires_at <= ${DB_NOW_MS})
        ${returning}`);
      if (r.rows.length || fromEpoch === 0) return replyOf(r.rows);
      // No row at a non-zero epoch cannot be: the insert above only runs from 0. An existing row: a plain update.
      const u = await db.execute<ReplyRow>(sql`
        UPDATE project_leases SET owner = ${instanceId}, epoch = epoch + 1, expires_at = ${DB_NOW_MS} + ${ttlMs},
          move_to = NULL
        WHERE project_code = ${projectCode} AND epoch = ${fromEpoch} AND (owner IS NULL OR expires_at <= ${DB_NOW_MS})
        ${returning}`);
      return replyOf(u.rows);
    },

    async renew(projectCode, instanceId, epoch, ttlMs) {
      const r = await db.execute<ReplyRow>(sql`
        UPDATE project_leases SET expires_at = ${DB_NOW_MS} + ${ttlMs}
        WHERE project_code = ${projectCode} AND owner = ${instanceId} AND epoch = ${epoch}
        ${returning}`);
      return replyOf(r.rows);
    },

    async release(projectCode, instanceId, epoch) {
      const r = await db.execute(sql`
        UPDATE project_leases SET owner = NULL, expires_at = ${DB_NOW_MS}
        WHERE project_code = ${projectCode} AND owner = ${instanceId} AND epoch = ${epoch}`);
      return changed(r) > 0;
    },

    async handOver(projectCode, from, epoch, to, moveToWas) {
      const r = await db.execute(sql`
        UPDATE project_leases SET move_to = ${to}
        WHERE project_code = ${projectCode} AND owner = ${from} AND epoch = ${epoch} AND expires_at > ${DB_NOW_MS}
          AND move_to IS NOT DISTINCT FROM ${moveToWas}::text`);
      return changed(r) > 0;
    },

    async leave(instanceId) {
      await db.execute(sql`DELETE FROM cluster_instances WHERE id = ${instanceId}`);
    },

    async requestMove(projectCode, to) {
      await db.execute(sql`
        INSERT INTO project_leases (project_code, owner, epoch, expires_at, move_to)
        VALUES (${projectCode}, NULL, 0, ${DB_NOW_MS}, ${to})
        ON CONFLICT (project_code) DO UPDATE SET move_to = excluded.move_to`);
    },
  };
}
