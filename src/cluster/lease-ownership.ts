// The Ownership port (ownership.ts) answered by this instance's lease keeper (issue 20): acting is allowed while
// the keeper's grant allows it (a local deadline, so a paused or cut-off instance stops on time), and another
// project's owner is read from the last lease view, with the socket address its heartbeat recorded.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { InstanceAddress, Ownership } from './ownership.js';

export function leaseOwnership(keeper: LeaseKeeper, me: InstanceAddress): Ownership {
  return {
    me: me.id,
    mayAct: (projectCode) => keeper.mayDial(projectCode),
    epochOf: (projectCode) => keeper.epochOf(projectCode),
    ownerOf(projectCode) {
      if (keeper.mayDial(projectCode)) return me;
      const read = keeper.lastRead();
      const row = read?.view.leases.find((r) => r.projectCode === projectCode);
      // Ours but past its deadline, or expired by the database's clock at the last read: nobody may act on it.
      if (!read || !row?.owner || row.owner === me.id || read.view.dbNow >= row.expiresAt) return undefined;
      const instance = read.view.instances.find((i) => i.id === row.owner);
      return { id: row.owner, socketAt: instance?.socketAt ?? '' };
    },
    owned: () => keeper.owned().filter((p) => keeper.mayDial(p)),
    onChange: (listener) => keeper.onChange(listener),
  };
}

/**
 * Local time for the grants: monotonic, so a wall clock stepped by NTP neither lengthens nor shortens them (the
 * lease rules' promise rests on it). Timers as the system clock's.
 */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};
