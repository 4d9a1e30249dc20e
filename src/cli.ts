// Operator commands against the configured database: `npm run cli -- account add NAME [--ip A,B] [--expires ISO]`,
// `account list`, `account enable|disable|remove|rotate NAME`, `account sign-mode NAME spec|strict`. Secrets are
// printed once, at creation or rotation.
import { randomBytes } from 'node:crypto';
import { loadConfig } from './config.js';
import { openStore } from './db/database.js';
import { createRepos } from './db/repos/index.js';

export function runCli(argv: string[], dbPath: string, now = Date.now()): { out: string; code: number } {
  const store = openStore(dbPath);
  try {
    const { accounts } = createRepos(store.db);
    const [noun, verb, name, ...rest] = argv;
    const flag = (f: string): string | undefined => {
      const i = rest.indexOf(f);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    const usage =
      'usage: cli account add NAME [--ip A,B] [--expires ISO-DATE] [--strict] | account list | account enable|disable|remove|rotate NAME | account sign-mode NAME spec|strict';
    if (noun !== 'account')
      return {
        out: `${noun === undefined ? 'a command is required' : `unknown command ${noun}`}\n${usage}`,
        code: 2,
      };
    const verbs = ['add', 'list', 'enable', 'disable', 'remove', 'rotate', 'sign-mode'];
    if (verb === undefined || !verbs.includes(verb))
      return {
        out: `${verb === undefined ? 'account needs a subcommand' : `unknown subcommand account ${verb}`}\n${usage}`,
        code: 2,
      };
    if (verb === 'list') {
      const rows = accounts.list().map((a) => {
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
        if (accounts.find(name)) return { out: `account ${name} already exists`, code: 1 };
        const expires = flag('--expires');
        const expiresAt = expires ? Date.parse(expires) : null;
        if (expires && Number.isNaN(expiresAt)) return { out: '--expires must be an ISO date', code: 2 };
        const s = secret();
        accounts.insert({ account: name, secret: s, ipAllowlist: flag('--ip') ?? '', expiresAt, now });
        if (rest.includes('--strict')) accounts.update(name, { signMode: 'strict' }, now);
        return { out: `account ${name} created\nsecret ${s}`, code: 0 };
      }
      case 'rotate': {
        const s = secret();
        return accounts.update(name, { secret: s }, now)
          ? { out: `account ${name} secret rotated\nsecret ${s}`, code: 0 }
          : { out: `no account ${name}`, code: 1 };
      }
      case 'enable':
      case 'disable':
        return accounts.update(name, { status: verb === 'enable' ? 1 : 0 }, now)
          ? { out: `account ${name} ${verb}d`, code: 0 }
          : { out: `no account ${name}`, code: 1 };
      case 'sign-mode': {
        const mode = rest[0];
        if (mode !== 'spec' && mode !== 'strict')
          return { out: `sign-mode is spec or strict\n${usage}`, code: 2 };
        return accounts.update(name, { signMode: mode }, now)
          ? {
              out: `account ${name} signs ${mode === 'strict' ? 'strictly (nonce + HMAC-SHA256)' : 'as the spec says (MD5)'}`,
              code: 0,
            }
          : { out: `no account ${name}`, code: 1 };
      }
      case 'remove':
        return accounts.remove(name)
          ? { out: `account ${name} removed`, code: 0 }
          : { out: `no account ${name}`, code: 1 };
      default:
        return { out: usage, code: 2 };
    }
  } finally {
    store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { out, code } = runCli(process.argv.slice(2), loadConfig().dbPath);
  console.log(out);
  process.exit(code);
}
