// An in-memory LeaseStore with the PostgreSQL side's semantics (src/cluster/lease-store.ts): its own clock stands
// for the database's now(), each change is a compare-and-set, and an instance can be cut off from it.
import type { LeaseReply, LeaseRow, InstanceRow, LeaseView } from '../../src/cluster/lease-rules.js';
import type { LeaseStore } from '../../src/cluster/lease-store.js';

export class MemoryLeaseStore {
  readonly rows = new Map<string, LeaseRow>();
  readonly instances = new Map<string, InstanceRow>();
  /** Instances whose statements fail (a partition, the database down for them). */
  readonly cutOff = new Set<string>();

  constructor(readonly dbNow: () => number) {}

  addProject(projectCode: string): void {
    this.rows.set(projectCode, { projectCode, owner: null, epoch: 0, expiresAt: this.dbNow(), moveTo: null });
  }

  /** Would a write the instance makes for the project under `epoch` be accepted (the fencing check)? */
  accepts(projectCode: string, instanceId: string, epoch: number): boolean {
    const row = this.rows.get(projectCode);
    return row?.owner === instanceId && row.epoch === epoch && this.dbNow() < row.expiresAt;
  }

  /** The store as one instance reaches it. */
  for(instanceId: string): LeaseStore {
    const reach = () => {
      if (this.cutOff.has(instanceId)) throw new Error('database unreachable');
    };
    const reply = (row: LeaseRow): LeaseReply => ({
      epoch: row.epoch,
      expiresAt: row.expiresAt,
      dbNow: this.dbNow(),
    });
    return {
      view: async (): Promise<LeaseView> => {
        reach();
        return {
          dbNow: this.dbNow(),
          leases: [...this.rows.values()].map((r) => ({ ...r })),
          instances: [...this.instances.values()].map((i) => ({ ...i })),
        };
      },
      heartbeat: async (id, load, _socketAt, gapMs = 10_000) => {
        reach();
        const was = this.instances.get(id);
        const now = this.dbNow();
        const liveSince = was && now - was.seenAt < gapMs ? was.liveSince : now;
        this.instances.set(id, { id, load, seenAt: now, liveSince });
      },
      take: async (projectCode, id, fromEpoch, ttlMs) => {
        reach();
        const row = this.rows.get(projectCode);
        if (!row || row.epoch !== fromEpoch || (row.owner !== null && this.dbNow() < row.expiresAt))
          return null;
        Object.assign(row, {
          owner: id,
          epoch: row.epoch + 1,
          expiresAt: this.dbNow() + ttlMs,
          moveTo: null,
        });
        return reply(row);
      },
      renew: async (projectCode, id, epoch, ttlMs) => {
        reach();
        const row = this.rows.get(projectCode);
        if (row?.owner !== id || row.epoch !== epoch) return null;
        row.expiresAt = this.dbNow() + ttlMs;
        return reply(row);
      },
      release: async (projectCode, id, epoch) => {
        reach();
        const row = this.rows.get(projectCode);
        if (row?.owner !== id || row.epoch !== epoch) return false;
        Object.assign(row, { owner: null, expiresAt: this.dbNow() });
        return true;
      },
      leave: async (id) => {
        reach();
        this.instances.delete(id);
      },
      handOver: async (projectCode, from, epoch, to, moveToWas) => {
        reach();
        const row = this.rows.get(projectCode);
        if (row?.owner !== from || row.epoch !== epoch || this.dbNow() >= row.expiresAt) return false;
        if (row.moveTo !== moveToWas) return false;
        row.moveTo = to;
        return true;
      },
      requestMove: async (projectCode, to) => {
        reach();
        const row = this.rows.get(projectCode);
        if (row) row.moveTo = to;
      },
    };
  }
}
