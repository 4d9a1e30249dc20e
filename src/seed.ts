// First-start seeding: the configured FreeSWITCH node when none exists, and optionally one API account.
import type { X509Certificate } from 'node:crypto';
import { seededWssUrl } from './agents/softphone-address.js';
import type { Config } from './config.js';
import type { Repos } from './db/repos/index.js';

/** `wssCert`: the certificate FreeSWITCH serves on WSS; without CC_FS_WSS, the seeded address uses its name. */
export async function seedStore(
  config: Config,
  repos: Repos,
  now: number,
  wssCert?: X509Certificate,
): Promise<string[]> {
  const done: string[] = [];
  const seed = config.fsWss.urlGiven
    ? config.seedNode
    : { ...config.seedNode, wssUrl: seededWssUrl(config.seedNode.wssUrl, wssCert) };
  const node = await repos.nodes.seedIfEmpty(seed, now);
  if (node)
    done.push(
      `seeded FreeSWITCH node "${node.name}" (ESL ${node.eslHost}:${node.eslPort}, softphones ${node.wssUrl})`,
    );
  const account = config.seedAccount;
  if (account && !(await repos.accounts.find(account.account))) {
    await repos.accounts.insert({ account: account.account, secret: account.secret, now });
    done.push(`seeded API account "${account.account}"`);
  }
  return done;
}
