// Where the signed API's requests on an agent's live state run (issue 20): at the instance that owns the project.
// Only the owner's registry decides who is offered calls; another instance's is a copy it reloads from the store, so
// a setWorkStatus run there would change the stored field and that copy while the owner kept offering calls by its
// old view, its getExtentionByProject would show that stale copy, and its distributionSeat would move an agent it
// sees idle while the agent is on a call at the owner. So, for a project held elsewhere, the request is
// run by the owner over the bus (remote-api.ts), in the name of the API account THIS instance authenticated; the
// owner checks that account again in its own store (API accounts act site-wide: known, enabled, unexpired, the
// client's address allowed) and that it still holds the project. Its answer, or its error, is given as if it had
// run here. When nobody holds the project (a take-over under way) or the owner does not answer:
// - a write is refused (503, naming the project): applied to the store alone it would race the taking instance's
//   load of that store, and an agent the new owner already reserved or put on a call would be changed under it;
//   the /app commands refuse the same way, and a retry is safe (send workStatus, not the toggle);
// - a read is answered from the stored registration and work status (the owner stores every change), and says so
//   (`X-CC-State-From: store`).
import {
  conflict,
  forbidden,
  invalid,
  notFound,
  unauthorized,
  unavailable,
  AppError,
} from '../core/errors.js';
import type { ApiContext } from './context.js';
import { overStored } from './console-reads.js';
import { accountRefusal } from './auth.js';
import type { ApiAnswer, ForwardedApiCall, OwnerCall, RemoteApi } from './remote-api.js';

/** The validated parameters of the endpoints (remote-api.ts OwnerCall). */
interface OwnerParams {
  username?: string;
  projectCode?: string;
  workStatus?: 0 | 1;
}

/** Who asked: the API account the receiving instance authenticated and the client address it saw. */
export interface ApiCaller {
  account: string;
  clientIp: string;
}

export interface OwnerApi {
  run(
    call: OwnerCall,
    caller: ApiCaller,
    params: OwnerParams,
  ): Promise<{ data: unknown; from: 'owner' | 'store' }>;
}

const ERRORS: Record<number, (msg: string) => AppError> = {
  400: invalid,
  401: unauthorized,
  403: forbidden,
  404: notFound,
  409: conflict,
  503: unavailable,
};

/** The owner's error answer as this instance's own error (same status and message). */
const errorOf = (status: number, message: string): AppError =>
  (ERRORS[status] ?? ((m: string) => new AppError('internal', m)))(message);

function paramsOf(json: string): OwnerParams {
  const p = JSON.parse(json) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const work = p.workStatus === 0 || p.workStatus === 1 ? p.workStatus : undefined;
  return { username: str(p.username), projectCode: str(p.projectCode), workStatus: work };
}

export function ownerApi(ctx: ApiContext, remote: RemoteApi | undefined): OwnerApi {
  const projects = () => ctx.services.projects;
  const me = () => ctx.ownership?.me ?? ctx.config.cluster.instanceId;

  /** Each call as this instance runs it on its own live state (the owner's answer, or a lone instance's). */
  const local: Record<OwnerCall, (p: OwnerParams) => Promise<unknown>> = {
    setWorkStatus: async (p) => projects().setWorkStatus(p.username ?? '', p.workStatus),
    async setWorkStatusByProjectCode(p) {
      if (p.workStatus === undefined) throw invalid('workStatus must be 0 or 1');
      await projects().setWorkStatusByProject(p.projectCode ?? '', p.workStatus);
      return null;
    },
    getExtentionByProject: (p) => projects().extensionsOf(p.projectCode ?? ''),
    async distributionSeat(p) {
      await projects().distributionSeat(p.projectCode ?? '', p.username ?? '');
      return null;
    },
  };

  /**
   * The project whose live state a call acts on; undefined when this instance does not know it (the local run says
   * why, or has no live state to look at: an extension of no project is on no call). A seat moves out of the project
   * its calls run in: whether it is on one is known at that project's owner, which tells the new project's owner of
   * the move (store-change announcements).
   */
  const projectOf = (call: OwnerCall, p: OwnerParams): string | undefined =>
    call === 'setWorkStatus' || call === 'distributionSeat'
      ? ctx.services.agents.get(p.username ?? '')?.projectCode
      : p.projectCode;

  /** The project's extensions with their stored registration and work status: a read nobody else answered. */
  async function fromStore(projectCode: string): Promise<unknown> {
    const rows = await projects().extensionsOf(projectCode);
    const project = await ctx.repos.projects.activeByCode(projectCode);
    const stored = new Map(
      (project ? await ctx.repos.extensions.ofProject(project.id) : []).map((e) => [e.username, e]),
    );
    return rows.map((row) => overStored(row, stored.get(row.username)));
  }

  /**
   * The owner's checks, against its own store and view; undefined when it runs the call. An account it would not
   * have let in is an error (403) the asker gives back as it is; a project it does not hold (any more), or one the
   * request does not act in by its view, is a refusal (the asker falls back as when nobody holds the project).
   */
  async function refusal(r: ForwardedApiCall, p: OwnerParams): Promise<ApiAnswer | undefined> {
    const account = await ctx.repos.accounts.find(r.account);
    const refused = account
      ? accountRefusal(account, ctx.clock.now(), r.clientIp)
      : `no API account ${r.account} at instance ${me()}`;
    if (refused) return { kind: 'error', status: 403, message: `API account ${r.account}: ${refused}` };
    if (!(ctx.ownership?.mayAct(r.projectCode) ?? true))
      return { kind: 'refused', reason: `instance ${me()} does not hold project ${r.projectCode}` };
    if (projectOf(r.call, p) !== r.projectCode)
      return {
        kind: 'refused',
        reason: `${r.call} does not act in project ${r.projectCode} at instance ${me()}`,
      };
    return undefined;
  }

  remote?.serve(async (r): Promise<ApiAnswer> => {
    const p = paramsOf(r.params);
    const refused = await refusal(r, p);
    if (refused) return refused;
    try {
      return { kind: 'data', data: await local[r.call](p) };
    } catch (err) {
      if (err instanceof AppError) return { kind: 'error', status: err.http, message: err.message };
      throw err;
    }
  });

  async function elsewhere(call: OwnerCall, projectCode: string, why: string) {
    if (call === 'getExtentionByProject')
      return { data: await fromStore(projectCode), from: 'store' as const };
    throw unavailable(`${call}: ${why}; try again in a few seconds`);
  }

  return {
    async run(call, caller, params) {
      const { ownership } = ctx;
      const projectCode = projectOf(call, params);
      if (!ownership || projectCode === undefined || ownership.mayAct(projectCode))
        return { data: await local[call](params), from: 'owner' };
      const owner = ownership.ownerOf(projectCode);
      if (!owner || owner.id === ownership.me || !remote)
        return elsewhere(
          call,
          projectCode,
          `project ${projectCode} has no owning instance at the moment (another is taking it over)`,
        );
      const answer = await remote.call(owner.id, {
        ...caller,
        call,
        projectCode,
        params: JSON.stringify(params),
      });
      if (answer.kind === 'data') return { data: answer.data, from: 'owner' };
      if (answer.kind === 'error') throw errorOf(answer.status, answer.message);
      return elsewhere(call, projectCode, answer.reason);
    },
  };
}
