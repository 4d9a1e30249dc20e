// A test app with the task, call-list and call-log plugins registered behind the signature check, plus fixtures:
// a project, gateways, a voice, call lists and stored call results.
import type { Response } from 'light-my-request';
import type { Publisher } from '../../src/core/ports.js';
import type { CallListService } from '../../src/dialer/call-lists.js';
import type { TaskService } from '../../src/dialer/tasks.js';
import { type TaskChange } from '../../src/dialer/tasks.js';
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
  list(phones: string[]): Promise<{ callListId: number; lastId: number }>;
  /** Stores a call result of a task as the call flow would. */
  result(callTaskCode: string, phone: string, resultDetail: number, result?: number): Promise<number>;
}

/** A task's expiredTime in the tests' clock, and the task fixture's gateway share (startTaskApp's gateway 1001). */
export const TOMORROW = '2026-11-24 16:00:00';
export const GWS = JSON.stringify([{ code: '1001', concurrency: 10 }]);

/** The fields of a valid submitCallTask for project p1 on the given call list (tests add the code and their own). */
export const taskBody = (callListId: number) => ({
  scheduleType: 1,
  callType: 1,
  callGWs: GWS,
  callListId,
  expiredTime: TOMORROW,
  projectCode: 'p1',
  rate: 1,
});

const resultOf = (detail: number): number => (detail >= 50 ? 10 : detail >= 28 ? 30 : 20);

export async function startTaskApp(): Promise<TaskApp> {
  const ta = await startTestApp();

  const repos = ta.app.ctx.repos;
  const now = ta.clock.now();
  // The app's own services and routes; publications are recorded as well as sent.
  const published = new RecordingPublisher();
  const broker = ta.app.broker;
  const send = broker.publish.bind(broker);
  broker.publish = (destination, body, headers) => {
    published.publish(destination, body);
    return send(destination, body, headers);
  };
  const { tasks, callLists: lists } = ta.app.ctx.services;
  const changes: TaskChange[] = [];
  tasks.onChange((c) => changes.push(c));

  const project = await repos.projects.insert(
    { projectCode: 'p1', seats: 5, nodeId: 1, certificate: 'CERT1' },
    now,
  );
  await repos.projects.insert({ projectCode: 'p2', seats: 5, nodeId: 1, certificate: 'CERT2' }, now);
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
  await gw('1001', 1, 100);
  await gw('1002', 1, null);
  await gw('1003', 0, 100);
  await repos.voices.insert({ voiceCode: 'hello', qiniuKey: null, filePath: '/tmp/hello.wav' }, now);

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
    async list(phones) {
      const { callListId } = await lists.create('fixture');
      const r = await lists.append(
        callListId,
        phones.map((value, i) => ({ position: i + 1, value })),
      );
      return { callListId, lastId: r.lastId ?? 0 };
    },
    async result(callTaskCode, phone, resultDetail, result = resultOf(resultDetail)) {
      const task = await repos.tasks.byCode(callTaskCode);
      if (!task) throw new Error(`no task ${callTaskCode}`);
      const at = ta.clock.now();
      const row = await repos.callLogs.upsert(
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
      );
      return row.id;
    },
  };
}

export const TASK_API = '/callcenter/callTask/api';
export const LIST_API = '/callcenter/callList/api';
export const LOG_API = '/callcenter/callLog/api';
