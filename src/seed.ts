// First-start seeding: the configured FreeSWITCH node when none exists, and optionally one API account.
import type { Config } from './config.js';
import type { Repos } from './db/repos/index.js';

export function seedStore(config: Config, repos: Repos, now: number): string[] {
  const done: string[] = [];
  const node = repos.nodes.seedIfEmpty(config.seedNode, now);
  if (node) done.push(`seeded FreeSWITCH node "${node.name}" (ESL ${node.eslHost}:${node.eslPort})`);
  const seed = config.seedAccount;
  if (seed && !repos.accounts.find(seed.account)) {
    repos.accounts.insert({ account: seed.account, secret: seed.secret, now });
    done.push(`seeded API account "${seed.account}"`);
  }
  return done;
}
