// The tables only several instances need (issue 20): who owns which project (a lease with a fencing epoch) and which
// instances are live. PostgreSQL only, and on purpose outside schema.ts: a cluster needs the shared store, SQLite is
// one process's file, so these have no SQLite counterpart (test/unit/schema-parity.test.ts compares schema.ts only).
// Times are milliseconds of the DATABASE's clock (now()), never an instance's: src/db/pg/leases.ts writes them.
import { bigint, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

const dbMs = (name: string) => bigint(name, { mode: 'number' });

/** One row per project code ever leased; a project without a row is free at epoch 0 (the view joins projects). */
export const projectLeases = pgTable('project_leases', {
  projectCode: text('project_code').primaryKey(),
  /** The instance holding it; null when released. */
  owner: text('owner'),
  /** Bumped by every take: the fencing token every owner's write for the project carries. */
  epoch: integer('epoch').notNull().default(0),
  /** Database ms: the lease is over at this time (for a released row, when it was released). */
  expiresAt: dbMs('expires_at').notNull(),
  /** An operator's hand-over request: the owner drains and releases, this instance takes. */
  moveTo: text('move_to'),
});

/** Instances that heartbeat: live while seen_at is younger than the instance TTL (lease-rules.ts). */
export const clusterInstances = pgTable('cluster_instances', {
  id: text('id').primaryKey(),
  /** Database ms of the last heartbeat. */
  seenAt: dbMs('seen_at').notNull(),
  /** Its calls in progress at its last heartbeat (lease-rules.ts InstanceRow.load). */
  load: integer('load').notNull().default(0),
  /** host:port FreeSWITCH's `socket` application reaches this instance at (CC_SOCKET_REACH_AT or its listener). */
  socketAt: text('socket_at').notNull().default(''),
  /**
   * Database ms since when it has been live without a break: set by the heartbeat that inserts the row (after a
   * stop deleted it) or that follows a silence longer than the instance TTL. Rebalancing gives a project only to an
   * instance live long enough (lease-rebalance.ts).
   */
  liveSince: dbMs('live_since').notNull().default(0),
});

/**
 * Shared capacity (issue 20): each instance's claim on a limited resource (a gateway's lines, a node's sessions or
 * calls per second). The claims of one resource that have not expired never add up to more than its limit
 * (src/db/pg/capacity.ts grants them under a per-resource lock); an instance starts calls only within its claim.
 */
export const capacityClaims = pgTable(
  'capacity_claims',
  {
    /** `gw:<id>`, `node:<id>:sessions`, `node:<id>:cps`. */
    resource: text('resource').notNull(),
    instanceId: text('instance_id').notNull(),
    amount: integer('amount').notNull(),
    /** Database ms. */
    expiresAt: dbMs('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.resource, t.instanceId] })],
);
