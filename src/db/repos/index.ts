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
  };
}
export type Repos = ReturnType<typeof createRepos>;
