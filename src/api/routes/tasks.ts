// Call tasks (spec 一.3, 5, 6, 7, 8, 14, 19, 23). Decisions the contract leaves open:
// - callType 1 (predictive) takes scheduleType 1-5; callType 2 (preview) only 3 (agent first: the agent dials);
//   callType 3 (inbound) only 11, and needs no callListId.
// - callGWs: JSON array text in a form field, or an array in a JSON body; every gateway exists, is enabled, and
//   its concurrency is an integer > 0 and at most the gateway's lines (expectCount) when those are known.
// - expiredTime: `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai (UTC+8) or epoch milliseconds, in the future.
// - Extensions: optional `pacing` (fixed | adaptive), `evaluation` (0/1), answering-machine detection (`amd`...); getCallList's optional `username`
//   (without it the numbers are reserved for 'api'); callTaskStatus adds totals and the status.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';
import type { SubmitInput, TaskRulesInput, TaskService } from '../../dialer/tasks.js';
import type { AmdInput } from '../../dialer/amd-settings.js';

const P = '/callcenter/callTask/api';
const tags = ['task'];
const callTaskCode = { type: 'string', minLength: 1, maxLength: 64 } as const;
/**
 * A new task's code travels to FreeSWITCH as a channel variable (cc_task) in every originate, where whitespace,
 * braces, quotes and backslashes cannot go (varsBlock refuses them): such a task could never dial (issue #17).
 */
const newCallTaskCode = { ...callTaskCode, pattern: '^[^\\s{}\'"\\\\]+$' } as const;
const callGWs = {
  description: 'JSON array [{"code":"1001","concurrency":100}] (text in a form field, or an array in JSON)',
} as const;
const rate = { type: 'number', description: 'Dialling ratio, > 0 and ≤ 10' } as const;
const pacing = { type: 'string', description: 'Extension: fixed (default) or adaptive' } as const;
/** Extensions of issue 14 (README "Dialling rules"); also accepted by setTaskRules. */
const ruleFields = {
  agentWeight: {
    type: 'integer',
    minimum: 1,
    maximum: 100,
    description: "Extension: share of the project's agents against its other running tasks (default 1)",
  },
  callingWindow: {
    description:
      'Extension: JSON {"timeZone":"Asia/Shanghai","days":[1,2,3,4,5],"hours":[["09:00","20:00"]],"prefixTimeZones":[{"prefix":"1212","timeZone":"America/New_York"}]}; null clears it',
  },
  retryRules: {
    description:
      'Extension: JSON [{"resultDetail":[20],"afterMinutes":10,"maxRetries":3}] for outcomes 5, 10, 20, 25; [] or null clears them',
  },
  abandonTarget: {
    description:
      "Extension: the adaptive pacer's abandon target, > 0 and ≤ 0.03 (default 0.03); null clears it",
  },
} as const;
/** Extensions of issue 23 (README "Answering-machine detection"); also accepted by setTaskAmd. */
const amdFields = {
  amd: {
    description: 'Extension: 1 turns answering-machine detection on (scheduleType 1, 2, 4), 0 off (default)',
  },
  amdMachineAction: {
    type: 'string',
    description: 'Extension: what a machine gets: hangup (default), or message (amdVoiceCode after its beep)',
  },
  amdVoiceCode: {
    description: 'Extension: the voice played to a machine (amdMachineAction message); null clears it',
  },
  amdThresholds: {
    description:
      'Extension: JSON {"afterGreetingSilenceMs":600,...} over the detector\'s defaults (README); null restores them',
  },
} as const;
const codeOnly = {
  type: 'object',
  required: ['callTaskCode'],
  properties: { callTaskCode },
} as const;

const submitBody = {
  type: 'object',
  required: ['callTaskCode', 'scheduleType', 'callType', 'callGWs', 'expiredTime', 'projectCode', 'rate'],
  properties: {
    callTaskCode: newCallTaskCode,
    scheduleType: { type: 'integer', enum: [1, 2, 3, 4, 5, 11] },
    callType: { type: 'integer', enum: [1, 2, 3] },
    callGWs,
    callListId: { type: 'string', maxLength: 15, pattern: '^[0-9]+$' },
    expiredTime: { type: 'string', description: 'yyyy-MM-dd HH:mm:ss (UTC+8) or epoch ms' },
    projectCode: { type: 'string', minLength: 1, maxLength: 64 },
    rate,
    originalResultDetail: { type: 'string', maxLength: 200 },
    originalCallTaskCode: callTaskCode,
    voiceCode: { type: 'string', minLength: 1, maxLength: 64 },
    pacing,
    evaluation: {
      type: 'integer',
      enum: [0, 1],
      description: 'Extension: 1 asks the customer to rate the call',
    },
    ...ruleFields,
    ...amdFields,
  },
} as const;

export function taskRoutes(tasks: TaskService): FastifyPluginAsync<{ ctx: ApiContext }> {
  return async (app) => {
    app.post<{ Body: SubmitInput }>(
      `${P}/submitCallTask/v1`,
      {
        schema: {
          summary: 'Submit a call task: its numbers are loaded from the call list (or the recall selection)',
          tags,
          body: submitBody,
        },
      },
      async (req) => ok(await tasks.submit(req.body)),
    );

    const transition = (name: string, summary: string, run: (code: string) => Promise<void>) =>
      app.post<{ Body: { callTaskCode: string } }>(
        `${P}/${name}/v1`,
        { schema: { summary, tags, body: codeOnly } },
        async (req) => {
          await run(req.body.callTaskCode);
          return ok();
        },
      );
    transition('callTaskStart', 'Start or resume a task (an ended task cannot start: 409)', (c) =>
      tasks.start(c),
    );
    transition('callTaskPause', 'Pause a running task', (c) => tasks.pause(c));
    transition('callTaskEnd', 'End a task; numbers not yet dialled never will be', (c) => tasks.end(c));

    app.post<{ Body: { callTaskCode: string; callGWs: unknown; rate: number; pacing?: string } }>(
      `${P}/setTaskConcurrent/v1`,
      {
        schema: {
          summary: "Replace a task's gateways, rate (and pacing) while it runs",
          tags,
          body: {
            type: 'object',
            required: ['callTaskCode', 'callGWs', 'rate'],
            properties: { callTaskCode, callGWs, rate, pacing },
          },
        },
      },
      async (req) => {
        await tasks.setConcurrent(req.body.callTaskCode, req.body.callGWs, req.body.rate, req.body.pacing);
        return ok();
      },
    );

    app.post<{ Body: TaskRulesInput & { callTaskCode: string } }>(
      `${P}/setTaskRules/v1`,
      {
        schema: {
          summary:
            "Extension: set a task's agentWeight, callingWindow, retryRules or abandonTarget (all checked before any is stored)",
          tags,
          body: { type: 'object', required: ['callTaskCode'], properties: { callTaskCode, ...ruleFields } },
        },
      },
      async (req) => {
        const { callTaskCode: code, ...rules } = req.body;
        await tasks.setRules(code, rules);
        return ok();
      },
    );

    app.post<{ Body: AmdInput & { callTaskCode: string } }>(
      `${P}/setTaskAmd/v1`,
      {
        schema: {
          summary:
            "Extension: set a task's answering-machine detection (amd, amdMachineAction, amdVoiceCode, amdThresholds; checked as a whole before it is stored)",
          tags,
          body: { type: 'object', required: ['callTaskCode'], properties: { callTaskCode, ...amdFields } },
        },
      },
      async (req) => {
        const { callTaskCode: code, ...amd } = req.body;
        await tasks.setAmd(code, amd);
        return ok();
      },
    );

    app.post<{ Body: { callTaskCode: string } }>(
      `${P}/callTaskStatus/v1`,
      {
        schema: {
          summary: 'Task progress: success/fail/miss counts (plus totals and status as an extension)',
          tags,
          body: codeOnly,
        },
      },
      async (req) => ok(await tasks.status(req.body.callTaskCode)),
    );

    app.post<{ Body: { callTaskCode: string; callListLastId: number } }>(
      `${P}/callTaskAdditional/v1`,
      {
        schema: {
          summary: "Add the task's call-list numbers appended after callListLastId (also while running)",
          tags,
          body: {
            type: 'object',
            required: ['callTaskCode', 'callListLastId'],
            properties: {
              callTaskCode,
              callListLastId: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            },
          },
        },
      },
      async (req) => ok(await tasks.additional(req.body.callTaskCode, req.body.callListLastId)),
    );

    app.get<{ Querystring: { callTaskCode: string; count: number; username?: string } }>(
      `${P}/getCallList/v1`,
      {
        schema: {
          summary: 'Preview dialling: reserve `count` numbers of a running preview task for one agent',
          tags,
          querystring: {
            type: 'object',
            required: ['callTaskCode', 'count'],
            properties: {
              callTaskCode,
              count: { type: 'integer', minimum: 1, maximum: 100 },
              username: {
                type: 'string',
                minLength: 1,
                maxLength: 32,
                description: "Extension: the agent the numbers are held for (default 'api')",
              },
            },
          },
        },
      },
      async (req) => ok(await tasks.getCallList(req.query.callTaskCode, req.query.count, req.query.username)),
    );
  };
}
