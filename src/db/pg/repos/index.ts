// The PostgreSQL repositories, the same methods as src/db/repos (createRepos) returning Promises.
import type { PgDb } from '../open.js';
import { pgAccountsRepo } from './accounts.js';
import { pgCallListsRepo } from './call-lists.js';
import { pgCallLogsRepo, pgRecordingUploadsRepo } from './call-logs.js';
import { pgDncRepo } from './dnc.js';
import { pgGatewaysRepo } from './gateways.js';
import { pgNodesRepo } from './nodes.js';
import { pgExtensionsRepo, pgProjectsRepo } from './projects.js';
import { pgTasksRepo } from './tasks.js';
import { pgVoicesRepo } from './voices.js';

export function createPgRepos(db: PgDb) {
  return {
    accounts: pgAccountsRepo(db),
    nodes: pgNodesRepo(db),
    gateways: pgGatewaysRepo(db),
    projects: pgProjectsRepo(db),
    extensions: pgExtensionsRepo(db),
    callLogs: pgCallLogsRepo(db),
    recordingUploads: pgRecordingUploadsRepo(db),
    voices: pgVoicesRepo(db),
    tasks: pgTasksRepo(db),
    callLists: pgCallListsRepo(db),
    dnc: pgDncRepo(db),
  };
}
export type PgRepos = ReturnType<typeof createPgRepos>;
