// A test app with the task, call-list and call-log plugins registered behind the signature check, plus fixtures:
// a project, gateways, a voice, call lists and stored call results.
import type { FastifyPluginAsync } from 'fastify';
import type { Response } from 'light-my-request';
import type { Publisher } from '../../src/core/ports.js';
import { verifySignedRequest } from '../../src/api/auth.js';
import type { ApiContext } from '../../src/api/context.js';
import { callListRoutes } from '../../src/api/routes/call-lists.js';
import { callLogRoutes } from '../../src/api/routes/call-logs.js';
import { taskRoutes } from '../../src/api/routes/tasks.js';
import { callListsRepo } from '../../src/db/repos/call-lists.js';
import { tasksRepo } from '../../src/db/repos/tasks.js';
import { CallListService } from '../../src/dialer/call-lists.js';
import { numberStore } from '../../src/dialer/numbers.js';
import { TaskService, type TaskChange } from '../../src/dialer/tasks.js';
import { FORM, form, startTestApp, type TestApp } from './app.js';

export class RecordingPublisher implements Publisher {
  readonly sent: { destination: string; body: unknown }[] = [];
  publish(destination: string, body: object | string): void {
    this.sent.push({ destination, body });
  }
}

export interface TaskApp extends TestApp {
  tasks: TaskService;
  lists: CallListService;
  published: RecordingPublisher;
  changes: TaskChange[];
  projectId: number;
  post(path: string, fields: Record<string, string | number | undefined>): Promise<Response>;
  postJson(path: string, body: object): Promise<Response>;
  get(path: string, query: Record<string, string | number>): Promise<Response>;
  /** A new call list holding the phones; returns its id and the last number's id. */
  list(phones: string[]): { callListId: number; lastId: number };
  /** Stores a call result of a task as the call flow would. */
  result(callTaskCode: string, phone: string, resultDetail: number, result?: number): number;
}

const resultOf = (detail: number): number => (detail >= 50 ? 10 : detail >= 28 ? 30 : 20);

export async function startTaskApp(): Promise<TaskApp> {
  const ta = await startTestApp();
  const { db } = ta.store;
  const repos = ta.app.ctx.repos;
  const now = ta.clock.now();
  const published = new RecordingPublisher();
  const tasksR = tasksRepo(db);
  const callLists = callListsRepo(db);
  const numbers = numberStore(db);
  const tasks = new TaskService({
    db,
    repos,
    tasks: tasksR,
    callLists,
    numbers,
    clock: ta.clock,
    publisher: published,
  });
  const changes: TaskChange[] = [];
  tasks.onChange((c) => changes.push(c));
  const lists = new CallListService({ db, callLists, clock: ta.clock });

  const signedScope: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
    app.addHook('onRequest', async (request) => {
      verifySignedRequest(request, {
        accounts: ctx.repos.accounts,
        clock: ctx.clock,
        windowMs: ctx.config.signWindowMs,
      });
    });
    await app.register(taskRoutes(tasks), { ctx });
    await app.register(callListRoutes(lists), { ctx });
    await app.register(callLogRoutes(tasksR), { ctx });
  };
  await ta.app.http.register(signedScope, { ctx: ta.app.ctx });

  const project = repos.projects.insert(
    { projectCode: 'p1', seats: 5, nodeId: 1, certificate: 'CERT1' },
    now,
  );
  repos.projects.insert({ projectCode: 'p2', seats: 5, nodeId: 1, certificate: 'CERT2' }, now);
  const gw = (gwCode: string, status: number, expectCount: number | null) =>
    repos.gateways.insert(
      {
        gwCode,
        gwName: gwCode,
        registerType: 1,
        originationCallId: null,
        codec: null,
        mobilePhonePrefix: null,
        fixedPhonePrefix: null,
        realm: '127.0.0.1',
        username: null,
        password: null,
        remark: null,
        callLimit: null,
        billType: null,
        billsec: null,
        priceFen: null,
        status,
        expectCount,
        returnVisit: 0,
        accountBalanceFen: null,
        rechargedAmountFen: null,
      },
      now,
    );
  gw('1001', 1, 100);
  gw('1002', 1, null);
  gw('1003', 0, 100);
  repos.voices.insert({ voiceCode: 'hello', qiniuKey: null, filePath: '/tmp/hello.wav' }, now);

  let callSeq = 0;
  return {
    ...ta,
    tasks,
    lists,
    published,
    changes,
    projectId: project.id,
    post: (path, fields) =>
      ta.app.http.inject({
        method: 'POST',
        url: path,
        headers: { ...ta.signed(), ...FORM },
        payload: form(fields),
      }),
    postJson: (path, body) =>
      ta.app.http.inject({ method: 'POST', url: path, headers: ta.signed(), payload: body }),
    get: (path, query) =>
      ta.app.http.inject({
        method: 'GET',
        url: path,
        headers: ta.signed(),
        query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
      }),
    list(phones) {
      const { callListId } = lists.create('fixture');
      const r = lists.append(
        callListId,
        phones.map((value, i) => ({ position: i + 1, value })),
      );
      return { callListId, lastId: r.lastId ?? 0 };
    },
    result(callTaskCode, phone, resultDetail, result = resultOf(resultDetail)) {
      const task = tasksR.byCode(callTaskCode);
      if (!task) throw new Error(`no task ${callTaskCode}`);
      const at = ta.clock.now();
      return repos.callLogs.upsert(
        `call-${++callSeq}`,
        {
          taskId: task.id,
          projectId: task.projectId,
          callTaskCode,
          destinationNumber: phone,
          result,
          resultDetail,
          startTimestamp: at,
          endTimestamp: at + 30_000,
          priceCal: 12.5,
          priceRule: '6|10.0',
        },
        at,
      ).id;
    },
  };
}

export const TASK_API = '/callcenter/callTask/api';
export const LIST_API = '/callcenter/callList/api';
export const LOG_API = '/callcenter/callLog/api';
