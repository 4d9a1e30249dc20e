// The PostgreSQL repositories: exactly the ports createRepos (src/db/repos) gives on SQLite, so the server runs on
// either store (test/unit/pg-repos-shape.test.ts has tsc check that the two types are the same).
import { pgNumberStore } from '../dispenser.js';
import type { PgDb } from '../open.js';
import { pgAccountsRepo } from './accounts.js';
import { pgCallListsRepo } from './call-lists.js';
import { pgCallLogsRepo, pgRecordingUploadsRepo } from './call-logs.js';
import { pgDncRepo } from './dnc.js';
import { pgGatewaysRepo } from './gateways.js';
import { pgNodesRepo } from './nodes.js';
import { pgExtensionsRepo, pgProjectsRepo } from './projects.js';
import { pgTasksRepo } from './tasks.js';
import { pgAgentCallsRepo, pgCallOutcomesRepo, pgProjectSetupRepo } from './units.js';
import { pgAbandonRepo, pgDialerViewRepo, pgHealthRepo, pgInboundRepo, pgWallboardRepo } from './views.js';
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
    numbers: pgNumberStore(db),
    dialerView: pgDialerViewRepo(db),
    projectSetup: pgProjectSetupRepo(db),
    agentCalls: pgAgentCallsRepo(db),
    callOutcomes: pgCallOutcomesRepo(db),
    inbound: pgInboundRepo(db),
    wallboard: pgWallboardRepo(db),
    abandon: pgAbandonRepo(db),
    health: pgHealthRepo(db),
  };
}
export type PgRepos = ReturnType<typeof createPgRepos>;
