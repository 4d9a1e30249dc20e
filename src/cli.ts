// Operator commands against the configured database: `npm run cli -- account add NAME [--ip A,B] [--expires ISO]`,
// `account list`, `account enable|disable|remove|rotate NAME`, `account sign-mode NAME spec|strict`. Secrets are
// printed once, at creation or rotation. `node list`, `node wss NAME URL`. `db backup FILE` / `db restore FILE`: src/db/backup.ts.
// `db migrate`, `db copy --to postgres://…`: src/db/store-commands.ts. `cluster list`, `cluster move PROJECT INSTANCE`:
// src/db/cluster-commands.ts.
import { randomBytes } from 'node:crypto';
import { loadConfig } from './config.js';
import { backupDatabase, restoreDatabase } from './db/backup.js';
import { DatabaseTooNewError } from './db/database.js';
import { PgUnavailableError } from './db/pg/open.js';
import { openRepos } from './db/open-repos.js';
import type { Repos } from './db/repos/index.js';
import { copyCommand, migrateCommand, STORE_USAGE } from './db/store-commands.js';
import { CLUSTER_USAGE, runClusterCli } from './db/cluster-commands.js';

export async function runCli(
  argv: string[],
  dbPath: string,
  now = Date.now(),
  env: Record<string, string | undefined> = process.env,
  /** CC_DATABASE_URL: the commands then work on PostgreSQL. */
  databaseUrl?: string,
): Promise<{ out: string; code: number }> {
  const store = await openRepos({ dbPath, databaseUrl }, { max: 1 });
  try {
    const { accounts, nodes } = store.repos;
    const [noun, verb, name, ...rest] = argv;
    if (noun === 'node') return await nodeCommand(nodes, verb, name, rest, now, env);
    const flag = (f: string): string | undefined => {
      const i = rest.indexOf(f);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    const usage =
      'usage: cli account add NAME [--ip A,B] [--expires ISO-DATE] [--strict] | account list | account enable|disable|remove|rotate NAME | account sign-mode NAME spec|strict';
    if (noun !== 'account')
      return {
        out: `${noun === undefined ? 'a command is required' : `unknown command ${noun}`}\n${usage}\n${NODE_USAGE}\n${DB_USAGE}\n${CLUSTER_USAGE}`,
        code: 2,
      };
    const verbs = ['add', 'list', 'enable', 'disable', 'remove', 'rotate', 'sign-mode'];
    if (verb === undefined || !verbs.includes(verb))
      return {
        out: `${verb === undefined ? 'account needs a subcommand' : `unknown subcommand account ${verb}`}\n${usage}`,
        code: 2,
      };
    if (verb === 'list') {
      const rows = (await accounts.list()).map((a) => {
        const exp = a.expiresAt ? new Date(a.expiresAt).toISOString() : 'never';
        return `${a.account}\tstatus=${a.status ? 'enabled' : 'disabled'}\texpires=${exp}\tip=${a.ipAllowlist || 'any'}\tsign=${a.signMode}`;
      });
      return { out: rows.join('\n') || '(no accounts)', code: 0 };
    }
    if (!name || !/^[A-Za-z0-9_.@-]{1,64}$/.test(name))
      return { out: `account name is required (letters, digits, _ . @ -)\n${usage}`, code: 2 };
    const secret = () => randomBytes(24).toString('hex');
    switch (verb) {
      case 'add': {
        if (await accounts.find(name)) return { out: `account ${name} already exists`, code: 1 };
        const expires = flag('--expires');
        const expiresAt = expires ? Date.parse(expires) : null;
        if (expires && Number.isNaN(expiresAt)) return { out: '--expires must be an ISO date', code: 2 };
        const s = secret();
        await accounts.insert({ account: name, secret: s, ipAllowlist: flag('--ip') ?? '', expiresAt, now });
        if (rest.includes('--strict')) await accounts.update(name, { signMode: 'strict' }, now);
        return { out: `account ${name} created\nsecret ${s}`, code: 0 };
      }
      case 'rotate': {
        const s = secret();
        return (await accounts.update(name, { secret: s }, now))
          ? { out: `account ${name} secret rotated\nsecret ${s}`, code: 0 }
          : { out: `no account ${name}`, code: 1 };
      }
      case 'enable':
      case 'disable':
        return (await accounts.update(name, { status: verb === 'enable' ? 1 : 0 }, now))
          ? { out: `account ${name} ${verb}d`, code: 0 }
          : { out: `no account ${name}`, code: 1 };
      case 'sign-mode': {
        const mode = rest[0];
        if (mode !== 'spec' && mode !== 'strict')
          return { out: `sign-mode is spec or strict\n${usage}`, code: 2 };
        return (await accounts.update(name, { signMode: mode }, now))
          ? {
              out: `account ${name} signs ${mode === 'strict' ? 'strictly (nonce + HMAC-SHA256)' : 'as the spec says (MD5)'}`,
              code: 0,
            }
          : { out: `no account ${name}`, code: 1 };
      }
      case 'remove':
        return (await accounts.remove(name))
          ? { out: `account ${name} removed`, code: 0 }
          : { out: `no account ${name}`, code: 1 };
      default:
        return { out: usage, code: 2 };
    }
  } finally {
    await store.close();
  }
}

const NODE_USAGE =
  'usage: cli node list | node wss NAME wss://HOST:PORT | node esl-password NAME (the new password in CC_FS_PASSWORD)';

/** The FreeSWITCH nodes: seeded at first start; their softphone address changes with the WSS certificate. */
async function nodeCommand(
  nodes: Repos['nodes'],
  verb: string | undefined,
  name: string | undefined,
  rest: string[],
  now: number,
  env: Record<string, string | undefined>,
): Promise<{ out: string; code: number }> {
  if (verb === 'list')
    return {
      out:
        (await nodes.list())
          .map(
            (n) =>
              `${n.name}\tesl=${n.eslHost}:${n.eslPort}\twss=${n.wssUrl}\tstatus=${n.status ? 'active' : 'off'}`,
          )
          .join('\n') || '(no nodes)',
      code: 0,
    };
  if (verb === 'esl-password' && name && rest.length === 0) {
    // From the environment, not the command line, where every user's `ps` would show it.
    const password = env.CC_FS_PASSWORD ?? '';
    if (password.length < 8 || /\s/.test(password))
      return { out: 'CC_FS_PASSWORD must hold the new password (8 or more characters, no spaces)', code: 2 };
    return (await nodes.setEslPassword(name, password, now))
      ? { out: `node ${name}: new ESL password stored; restart the server to reconnect with it`, code: 0 }
      : { out: `no node ${name}`, code: 1 };
  }
  const url = rest[0];
  if (verb !== 'wss' || !name || !url || rest.length > 1) return { out: NODE_USAGE, code: 2 };
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['wss:', 'ws:'].includes(parsed.protocol) || !parsed.hostname)
    return { out: `the address must be wss://HOST:PORT (or ws:// for plain HTTP), got ${url}`, code: 2 };
  return (await nodes.setWssUrl(name, url, now))
    ? { out: `node ${name} hands softphones ${url}`, code: 0 }
    : { out: `no node ${name}`, code: 1 };
}

const DB_USAGE = `usage: cli db backup FILE | db restore FILE (with the server stopped)\n${STORE_USAGE}`;

/** `db backup FILE` runs beside the server (an online copy); `db restore FILE` needs it stopped. */
export async function runDbCli(
  argv: string[],
  dbPath: string,
  databaseUrl?: string,
): Promise<{ out: string; code: number }> {
  const [, verb, file, ...rest] = argv;
  if (verb === 'migrate' && argv.length === 2) return migrateCommand(dbPath, databaseUrl);
  if (verb === 'copy') return copyCommand(argv.slice(2), dbPath, databaseUrl);
  if (!file || rest.length > 0) return { out: DB_USAGE, code: 2 };
  if (verb === 'backup') return backupDatabase(dbPath, file);
  if (verb === 'restore') return restoreDatabase(dbPath, file);
  return { out: DB_USAGE, code: 2 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const { dbPath, databaseUrl } = loadConfig();
  try {
    const { out, code } =
      argv[0] === 'db'
        ? await runDbCli(argv, dbPath, databaseUrl)
        : argv[0] === 'cluster'
          ? await runClusterCli(argv, databaseUrl)
          : await runCli(argv, dbPath, Date.now(), process.env, databaseUrl);
    console.log(out);
    process.exit(code);
  } catch (err) {
    if (!(err instanceof DatabaseTooNewError || err instanceof PgUnavailableError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
