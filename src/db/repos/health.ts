// Liveness of the store (SQLite): one row count per main table, which also proves the database answers.
import { count } from 'drizzle-orm';
import type { Db } from '../database.js';
import { apiAccounts, callLogs, extensions, fsNodes, gateways, projects, tasks } from '../schema.js';

const COUNTED = {
  api_accounts: apiAccounts,
  fs_nodes: fsNodes,
  gateways,
  projects,
  extensions,
  tasks,
  call_logs: callLogs,
} as const;

export function healthRepo(db: Db) {
  return {
    counts(): Record<keyof typeof COUNTED, number> {
      return Object.fromEntries(
        Object.entries(COUNTED).map(([name, table]) => [
          name,
          db.select({ n: count() }).from(table).get()?.n ?? 0,
        ]),
      ) as Record<keyof typeof COUNTED, number>;
    },
  };
}
