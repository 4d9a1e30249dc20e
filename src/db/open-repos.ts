// Opens the configured store behind the repository ports: PostgreSQL when CC_DATABASE_URL is set, the SQLite file at
// CC_DB_PATH otherwise (the zero set-up default). The server and the CLI open it here, so both run on either store.
import { openStore } from './database.js';
import { describePgUrl, openPgStore } from './pg/open.js';
import { createPgRepos } from './pg/repos/index.js';
import { createRepos, type Repos } from './repos/index.js';
import { pgLeaseStore } from './pg/leases.js';
import type { LeaseStore } from '../cluster/lease-store.js';
import type { CapacityStore } from '../cluster/capacity-ledger.js';
import { pgCapacityStore } from './pg/capacity.js';

interface OpenedStore {
  repos: Repos;
  /** Where the data is, for the start-up line (never a password). */
  where: string;
  /** Project leases for several instances (issue 20): PostgreSQL only. */
  leases?: { store: LeaseStore; capacity: CapacityStore };
  close(): Promise<void>;
}

/**
 * Throws PgUnavailableError (PostgreSQL cannot be reached or refused us) or DatabaseTooNewError (a newer version
 * migrated the database): both carry a message for the operator.
 */
export async function openRepos(
  config: { dbPath: string; databaseUrl?: string },
  options: { max?: number } = {},
): Promise<OpenedStore> {
  if (config.databaseUrl) {
    const store = await openPgStore(config.databaseUrl, options);
    return {
      repos: createPgRepos(store.db),
      leases: { store: pgLeaseStore(store.db), capacity: pgCapacityStore(store.db) },
      where: `PostgreSQL at ${describePgUrl(config.databaseUrl)}`,
      close: () => store.close(),
    };
  }
  const store = openStore(config.dbPath);
  return {
    repos: createRepos(store.db),
    where: config.dbPath,
    close: async () => store.close(),
  };
}
