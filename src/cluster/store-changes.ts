// Changes to projects and their extensions made through one instance's API (issue 20), told to the others over the
// bus so that they reload them from the shared store: without it a project created on A stays unknown to B until B
// restarts, and its agents' logins on B are refused. The message only names the project; what it is comes from the
// store, so a message cannot make an instance believe anything. It is signed all the same (as forward.ts signs
// commands), so that a client of the broker that is no instance cannot make every instance query the store.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Metrics } from '../core/metrics.js';
import type { RpcLink } from './bus.js';

interface StoreChangesDeps {
  link: RpcLink;
  me: string;
  /** The secret every instance of the cluster shares (CC_SOCKET_SECRET). */
  secret: string;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
}

export interface StoreChanges {
  /** Tells the other instances that the project (or one of its extensions) changed in the store. */
  announce(projectCode: string): void;
  /** Called for each project another instance says changed (one at a time, in the order received). */
  onChanged(reload: (projectCode: string) => Promise<void>): void;
}

interface Changed {
  kind: 'project-changed';
  from: string;
  projectCode: string;
}

const MAX_CODE = 200;

export function storeChanges(d: StoreChangesDeps): StoreChanges {
  const key = createHmac('sha256', d.secret).update('callcenter cluster store changes').digest();
  const sign = (m: Changed) =>
    createHmac('sha256', key).update(`${m.kind}\n${m.from}\n${m.projectCode}`).digest('hex');
  let reload: ((projectCode: string) => Promise<void>) | undefined;
  // Reloads run one after the other: two for the same project never interleave their reads and writes.
  let queue: Promise<void> = Promise.resolve();
  for (const name of [
    'cluster.storeChanges.sent',
    'cluster.storeChanges.applied',
    'cluster.storeChanges.refused',
  ])
    d.metrics.inc(name, 0);

  d.link.onRpc((message, sender) => {
    const m = message as Partial<Changed & { sig: string }> | null;
    if (typeof m !== 'object' || m === null || m.kind !== 'project-changed') return; // another kind's business
    if (sender === d.me) return;
    const valid =
      typeof m.from === 'string' &&
      m.from === sender &&
      typeof m.projectCode === 'string' &&
      m.projectCode.length > 0 &&
      m.projectCode.length <= MAX_CODE &&
      typeof m.sig === 'string';
    const given = valid ? Buffer.from(m.sig!, 'hex') : Buffer.alloc(0);
    const expected = valid ? Buffer.from(sign(m as Changed), 'hex') : Buffer.alloc(1);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      d.metrics.inc('cluster.storeChanges.refused');
      d.log.warn({ from: sender }, 'store change refused: not signed by an instance of this cluster');
      return;
    }
    const projectCode = m.projectCode!;
    queue = queue
      .then(() => reload?.(projectCode))
      .then(() => d.metrics.inc('cluster.storeChanges.applied'))
      .catch((err: unknown) =>
        d.log.warn({ err, project: projectCode }, 'a project another instance changed could not be reloaded'),
      );
  });

  return {
    announce(projectCode) {
      const m: Changed = { kind: 'project-changed', from: d.me, projectCode };
      if (d.link.sendRpc({ ...m, sig: sign(m) })) d.metrics.inc('cluster.storeChanges.sent');
      else
        d.log.warn(
          { project: projectCode },
          'the bus is down: the other instances learn of this change only when they restart or take the project',
        );
    },
    onChanged(fn) {
      reload = fn;
    },
  };
}
