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

export function createRepos(db: Db) {
  return {
    accounts: accountsRepo(db),
    nodes: nodesRepo(db),
    gateways: gatewaysRepo(db),
    projects: projectsRepo(db),
    extensions: extensionsRepo(db),
    callLogs: callLogsRepo(db),
    recordingUploads: recordingUploadsRepo(db),
    voices: voicesRepo(db),
    tasks: tasksRepo(db),
    callLists: callListsRepo(db),
    dnc: dncRepo(db),
  };
}
export type Repos = ReturnType<typeof createRepos>;
