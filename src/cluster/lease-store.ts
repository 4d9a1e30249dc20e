// What the lease rules (lease-rules.ts) need of the shared database (issue 20); src/db/pg/leases.ts implements it.
// Every statement uses the database's now(), never a time sent by an instance, and every change is a compare-and-set
// on the row, so two instances acting on the same view cannot both win.
import type { LeaseReply, LeaseView } from './lease-rules.js';

export interface LeaseStore {
  /** One consistent read (one statement or one REPEATABLE READ transaction): now(), every lease, every instance. */
  view(): Promise<LeaseView>;
  /**
   * Marks the instance live at now() with its load and the address FreeSWITCH reaches its socket at (upsert). Its
   * live_since is now() when the row is new (a stop deleted it) or its last heartbeat is `gapMs` old or more.
   */
  heartbeat(instanceId: string, load: number, socketAt?: string, gapMs?: number): Promise<void>;
  /**
   * Grants the project to `instanceId` only if its row still has epoch `fromEpoch` and is orphaned (owner NULL or
   * expires_at <= now()): epoch + 1, expires_at = now() + ttl, move_to cleared. A project with no row yet is
   * inserted at epoch 1. Null when another instance got there first.
   *   UPDATE project_leases SET owner = $2, epoch = epoch + 1, expires_at = now() + $4, move_to = NULL
   *   WHERE project_code = $1 AND epoch = $3 AND (owner IS NULL OR expires_at <= now())
   *   RETURNING epoch, expires_at, now()
   */
  take(projectCode: string, instanceId: string, fromEpoch: number, ttlMs: number): Promise<LeaseReply | null>;
  /** expires_at = now() + ttl where owner = instanceId and epoch = epoch; null when the lease is no longer ours. */
  renew(projectCode: string, instanceId: string, epoch: number, ttlMs: number): Promise<LeaseReply | null>;
  /** owner = NULL, expires_at = now() where still ours at that epoch (the epoch stays: the next take bumps it). */
  release(projectCode: string, instanceId: string, epoch: number): Promise<boolean>;
  /** The instance is stopping: delete its instance row, so no project is assigned to it any more. */
  leave(instanceId: string): Promise<void>;
  /**
   * The owner asks to hand its project to `to` (evening out the load): sets move_to only while the row is still its
   * own at `epoch`, unexpired, with move_to as it read it. False when anything changed meanwhile.
   */
  handOver(
    projectCode: string,
    from: string,
    epoch: number,
    to: string,
    moveToWas: string | null,
  ): Promise<boolean>;
  /** An operator's hand-over request (null cancels it). */
  requestMove(projectCode: string, to: string | null): Promise<void>;
}
