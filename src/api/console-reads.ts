// Where a page's first-paint reads are answered (issue 20, item 5): at the instance that owns the project. Only the
// owner holds its agents' live state (their /app commands run there); another instance's registry keeps the work
// status it loaded and can be stale. So a read for a project held elsewhere is asked of the owner over the bus
// (remote-reads.ts); when nobody holds the project (a take-over under way) or the owner does not answer, the stored
// registration and work status (the owner stores every change) are laid over this instance's view, and the answer
// says so (`stateFrom: "store"`). The asker is always the extension THIS instance authenticated; the owner checks it
// again against its own view before answering.
import { ExtensionType } from '../core/codes.js';
import { unauthorized, unavailable } from '../core/errors.js';
import { extStatusView } from '../agents/registry.js';
import type { Extension } from '../db/repos/projects.js';
import type { ApiContext } from './context.js';
import type { ConsoleRead, ForwardedRead, ReadAnswer, ReadAsker, RemoteReads } from './remote-reads.js';

/** Each read as this instance answers it from its own live state. */
type LocalReads = Record<ConsoleRead, (asker: ReadAsker, projectCode: string) => Promise<unknown>>;

/** `owner`: the project's owner answered (this instance or the one asked); `store`: nobody could, see above. */
type StateFrom = 'owner' | 'store';

export interface ConsoleReads {
  read(read: ConsoleRead, asker: ReadAsker, projectCode: string): Promise<{ data: unknown; from: StateFrom }>;
}

interface ConsoleReadDeps {
  ctx: ApiContext;
  local: LocalReads;
  /** Only in a cluster (CC_AMQP_URL). */
  remote?: RemoteReads;
  log?: { info(obj: object, msg: string): void };
}

/** Rows shaped as extStatusView with the stored registration and work status laid over them. */
export function overStored<T extends { username: string; status: number; workStatus: number }>(
  row: T,
  stored: Extension | undefined,
): T {
  return stored ? { ...row, status: stored.regStatus, workStatus: stored.workStatus } : row;
}

export function consoleReads(d: ConsoleReadDeps): ConsoleReads {
  const { ctx, local } = d;

  async function fromStore(read: ConsoleRead, asker: ReadAsker, projectCode: string): Promise<unknown> {
    const data = await local[read](asker, projectCode);
    type Row = { username: string; status: number; workStatus: number };
    if (read === 'status')
      return overStored(data as Row, await ctx.repos.extensions.byUsername(asker.username));
    if (read !== 'extensions') return data;
    const project = await ctx.repos.projects.activeByCode(projectCode);
    const stored = new Map(
      (project ? await ctx.repos.extensions.ofProject(project.id) : []).map((e) => [e.username, e]),
    );
    return (data as Row[]).map((row) => overStored(row, stored.get(row.username)));
  }

  /** The owner's checks: it still holds the project, and the asker is who the asking instance says in its view. */
  function refusal(r: ForwardedRead): string | undefined {
    const me = ctx.ownership?.me ?? ctx.config.cluster.instanceId;
    if (!(ctx.ownership?.mayAct(r.projectCode) ?? true))
      return `instance ${me} does not hold project ${r.projectCode}`;
    const entry = ctx.services.agents.get(r.asker.username);
    if (!entry || entry.projectCode !== r.asker.projectCode || entry.type !== r.asker.type)
      return `extension ${r.asker.username} is not of project ${r.asker.projectCode} at instance ${me}`;
    if (r.projectCode !== r.asker.projectCode) return `${r.asker.username} may read its own project only`;
    if (r.read !== 'status' && r.asker.type !== ExtensionType.manager)
      return `${r.read}: extension ${r.asker.username} is not a manager`;
    return undefined;
  }

  d.remote?.serve(async (r): Promise<ReadAnswer> => {
    const refused = refusal(r);
    if (refused) return { kind: 'refused', reason: refused };
    return { kind: 'data', data: await local[r.read](r.asker, r.projectCode) };
  });

  return {
    async read(read, asker, projectCode) {
      const { ownership } = ctx;
      if (!ownership || ownership.mayAct(projectCode))
        return { data: await local[read](asker, projectCode), from: 'owner' };
      const owner = ownership.ownerOf(projectCode);
      if (owner && owner.id !== ownership.me && d.remote) {
        const answer = await d.remote.read(owner.id, { asker, read, projectCode });
        if (answer.kind === 'data') return { data: answer.data, from: 'owner' };
        d.log?.info(
          { read, project: projectCode, why: answer.reason },
          'console read answered from the store',
        );
      }
      return { data: await fromStore(read, asker, projectCode), from: 'store' };
    },
  };
}

interface LocalSources {
  /** /topic/callTaskStatus bodies of the project's tasks; absent until the dialer offers them. */
  taskStatuses?: (projectCode: string) => Promise<unknown[]>;
  /** The wallboard's samples; absent where no wallboard is offered (that read then answers 503). */
  wallboard?: { lastHour(projectCode: string): unknown[] };
}

/** The reads as this instance answers them from its own live state (the owner's answer, or a lone instance's). */
export function localReads(ctx: ApiContext, src: LocalSources): LocalReads {
  return {
    async status(asker) {
      const entry = ctx.services.agents.get(asker.username);
      if (!entry) throw unauthorized(`extension ${asker.username} is no longer assigned`);
      return { ...extStatusView(entry), projectCode: entry.projectCode, workType: entry.workType };
    },
    extensions: (_asker, projectCode) => ctx.services.projects.extensionsOf(projectCode),
    async tasks(_asker, projectCode) {
      if (!src.taskStatuses) throw unavailable('task progress is not offered by this server yet');
      return src.taskStatuses(projectCode);
    },
    async wallboard(_asker, projectCode) {
      if (!src.wallboard) throw unavailable('the wallboard is not offered by this server');
      return { samples: src.wallboard.lastHour(projectCode) };
    },
  };
}
