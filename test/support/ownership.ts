// A fixed Ownership for tests of several instances (issue 20): a table, shared by the instances of a test, says
// which instance holds which project; a test changes it to move a project or leave it without an owner. The lease
// keeper (src/cluster/lease-keeper.ts) answers the same questions from PostgreSQL in production.
import type { InstanceAddress, Ownership } from '../../src/cluster/ownership.js';

export class OwnerTable {
  private readonly owners = new Map<string, InstanceAddress | undefined>();
  private readonly listeners = new Set<(projectCode: string, owner: string | undefined) => void>();

  set(projectCode: string, owner: InstanceAddress | undefined): void {
    this.owners.set(projectCode, owner);
    for (const l of this.listeners) l(projectCode, owner?.id);
  }

  /** The Ownership instance `me` sees. */
  viewOf(me: string): Ownership {
    const { owners, listeners } = this;
    return {
      me,
      mayAct: (p) => owners.get(p)?.id === me,
      epochOf: (p) => (owners.get(p)?.id === me ? 1 : undefined),
      ownerOf: (p) => owners.get(p),
      owned: () =>
        [...owners]
          .filter(([, o]) => o?.id === me)
          .map(([p]) => p)
          .sort(),
      onChange(listener) {
        const l = (p: string, owner: string | undefined) => listener(p, owner === me);
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
  }
}
