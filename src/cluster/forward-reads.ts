// A page's first-paint reads for a project another instance owns (issue 20, item 5), asked of the owner over the
// bus (signed-rpc.ts): the owner holds its agents' live state, another instance's view of it can be stale. The
// request names the extension the asking instance authenticated; the owner checks it against its own view and
// that it still holds the project (src/api/console-reads.ts serve) before it answers.
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import {
  CONSOLE_READS,
  type ConsoleRead,
  type ForwardedRead,
  type ReadAnswer,
  type RemoteReads,
} from '../api/remote-reads.js';
import type { RpcLink } from './bus.js';
import { signedRpc } from './signed-rpc.js';

interface ReadDeps {
  link: RpcLink;
  me: string;
  secret: string;
  clock: Clock;
  metrics: Metrics;
  log: { warn(obj: object, msg: string): void };
  /** How long a page's read waits for the owner before it is answered from the store (default 3 s). */
  timeoutMs?: number;
}

const isString = (v: unknown): v is string => typeof v === 'string';

function requestFields(v: unknown): unknown[] | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<ForwardedRead>;
  const a = r.asker;
  if (typeof a !== 'object' || a === null || !isString(a.username) || !isString(a.projectCode))
    return undefined;
  if (typeof a.type !== 'number' || !CONSOLE_READS.includes(r.read as ConsoleRead)) return undefined;
  if (!isString(r.projectCode)) return undefined;
  return [a.username, a.projectCode, a.type, r.read, r.projectCode];
}

function answerFields(v: unknown): unknown[] | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const a = v as Partial<{ kind: string; data: unknown; reason: unknown }>;
  if (a.kind === 'data') return ['data', JSON.stringify(a.data ?? null)];
  if (a.kind === 'refused' && isString(a.reason)) return ['refused', a.reason];
  return undefined;
}

export function forwardedReads(d: ReadDeps): RemoteReads {
  const timeoutMs = d.timeoutMs ?? 3000;
  const rpc = signedRpc<ForwardedRead, ReadAnswer>({
    ...d,
    purpose: 'read',
    wire: { request: { kind: 'read', field: 'body' }, answer: { kind: 'read-answer', field: 'body' } },
    requestFields,
    answerFields,
    counters: 'cluster.reads',
    timeoutMs,
    unserved: () => ({ kind: 'refused', reason: 'reads are not served by that instance' }),
  });
  return {
    read(instance, request) {
      return rpc.ask(instance, request, (why) => ({
        kind: 'refused',
        reason:
          why === 'timeout'
            ? `instance ${instance}, which holds project ${request.projectCode}, did not answer within ${timeoutMs} ms`
            : `the link to instance ${instance} (RabbitMQ) is down`,
      }));
    },
    serve(run) {
      rpc.serve(run, () => ({ kind: 'refused', reason: 'the read failed at the owner' }));
    },
  };
}
