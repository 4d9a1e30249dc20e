import type { Db } from '../database.js';
import { accountsRepo } from './accounts.js';
import { gatewaysRepo } from './gateways.js';
import { nodesRepo } from './nodes.js';

export function createRepos(db: Db) {
  return {
    accounts: accountsRepo(db),
    nodes: nodesRepo(db),
    gateways: gatewaysRepo(db),
  };
}
export type Repos = ReturnType<typeof createRepos>;
