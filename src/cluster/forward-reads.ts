// A page's first-paint reads for a project another instance owns (issue 20, item 5), asked of the owner over the
// bus (signed-rpc.ts): the owner holds its agents' live state, another instance's view of it can be stale. The
// request names the extension the asking instance authenticated; the owner checks it against its own view and
// that it still holds the project (src/api/console-reads.ts serve) before it answers.
import {
  CONSOLE_READS,
  type ConsoleRead,
  type ForwardedRead,
  type ReadAnswer,
  type RemoteReads,
} from '../api/remote-reads.js';
import { isString, ownerRpc, type OwnerRpcDeps } from './owner-rpc.js';

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

/** `timeoutMs`: how long a page's read waits for the owner before it is answered from the store (default 3 s). */
export function forwardedReads(d: OwnerRpcDeps): RemoteReads {
  const rpc = ownerRpc<ForwardedRead, ReadAnswer>(d, {
    purpose: 'read',
    counters: 'cluster.reads',
    defaultTimeoutMs: 3000,
    what: 'reads',
    one: 'read',
    requestFields,
  });
  return { read: rpc.ask, serve: rpc.serve };
}
