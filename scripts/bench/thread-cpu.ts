// Where a process's CPU time goes, by thread (Linux /proc): the main thread runs our JavaScript and the syscalls it
// makes; V8's helper threads run the concurrent and parallel parts of garbage collection; libuv's pool runs file work
// (better-sqlite3 runs on the main thread). process.cpuUsage() gives only the sum of them all.
import { readdirSync, readFileSync } from 'node:fs';

export type ThreadCpu = Map<string, { user: number; system: number }>;

// Clock ticks per second of /proc's utime/stime: 100 on every Linux build Node supports (USER_HZ).
const TICK_MS = 10;

export function threadCpu(): ThreadCpu {
  const out: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const name = tid === String(process.pid) ? 'main' : threadGroup(stat.slice(open + 1, close));
    const fields = stat.slice(close + 2).split(' ');
    // Fields after the name: state is index 0, so utime (14th of the line) is 11 and stime 12.
    const user = Number(fields[11]) * TICK_MS;
    const system = Number(fields[12]) * TICK_MS;
    const seen = out.get(name) ?? { user: 0, system: 0 };
    out.set(name, { user: seen.user + user, system: seen.system + system });
  }
  return out;
}

// Node 20 names none of its threads (V8's platform workers, libuv's pool, the inspector's and the signal watcher's all
// show as "node"): everything but the main thread is one group, mostly V8's garbage-collection helpers.
function threadGroup(comm: string): string {
  return comm === 'node' ? 'other' : comm;
}

// The time each group spent between two readings, in ms; threads that ended in between are lost (Node's are not).
export function threadCpuSince(before: ThreadCpu, after: ThreadCpu = threadCpu()): ThreadCpu {
  const out: ThreadCpu = new Map();
  for (const [name, t] of after) {
    const b = before.get(name) ?? { user: 0, system: 0 };
    out.set(name, { user: t.user - b.user, system: t.system - b.system });
  }
  return out;
}
