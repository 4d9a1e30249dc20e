import type { Db } from '../database.js';
import { accountsRepo } from './accounts.js';
import { callLogsRepo, recordingUploadsRepo } from './call-logs.js';
import { voicesRepo } from './voices.js';
import { tasksRepo } from './tasks.js';
import { callListsRepo } from './call-lists.js';
import { gatewaysRepo } from './gateways.js';
import { nodesRepo } from './nodes.js';
import { dncRepo } from './dnc.js';
import { extensionsRepo, projectsRepo } from './projects.js';
import { asyncRepo } from './async.js';
import { numberStore } from './numbers.js';
import { dialerViewRepo } from './dialer-view.js';
import { projectSetupRepo } from './project-setup.js';
import { agentCallsRepo } from './agent-calls.js';
import { callOutcomesRepo } from './call-outcomes.js';
import { inboundRepo } from './inbound.js';
import { wallboardRepo } from './wallboard.js';
import { abandonRepo } from './abandon.js';
import { healthRepo } from './health.js';

export function createRepos(db: Db) {
  return {
    accounts: asyncRepo(accountsRepo(db)),
    nodes: asyncRepo(nodesRepo(db)),
    gateways: asyncRepo(gatewaysRepo(db)),
    projects: asyncRepo(projectsRepo(db)),
    extensions: asyncRepo(extensionsRepo(db)),
    callLogs: asyncRepo(callLogsRepo(db)),
    recordingUploads: asyncRepo(recordingUploadsRepo(db)),
    voices: asyncRepo(voicesRepo(db)),
    tasks: asyncRepo(tasksRepo(db)),
    callLists: asyncRepo(callListsRepo(db)),
    dnc: asyncRepo(dncRepo(db)),
    numbers: asyncRepo(numberStore(db)),
    dialerView: asyncRepo(dialerViewRepo(db)),
    projectSetup: asyncRepo(projectSetupRepo(db)),
    agentCalls: asyncRepo(agentCallsRepo(db)),
    callOutcomes: asyncRepo(callOutcomesRepo(db)),
    inbound: asyncRepo(inboundRepo(db)),
    wallboard: asyncRepo(wallboardRepo(db)),
    abandon: asyncRepo(abandonRepo(db)),
    health: asyncRepo(healthRepo(db)),
  };
}
export type Repos = ReturnType<typeof createRepos>;
