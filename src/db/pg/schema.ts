// The store's schema for PostgreSQL (drizzle, pg dialect): the same tables, columns, defaults, indexes and
// constraints as src/db/schema.ts (SQLite), and the same TypeScript row types, so one set of repository ports serves
// both (test/unit/schema-parity.test.ts proves it). drizzle has no dialect-neutral schema, hence the second file.
// Times stay epoch milliseconds, as bigint (they overflow int4) read back as JS numbers (exact below 2^53).
// Money (fen, fractions allowed: the spec takes yuan on gateway add) is `numeric`, exact in the database, read back
// as the JS number SQLite's REAL gives; other fractions (a task's rate, an abandon target) are double precision.
// Keep the two files in step: a column added to one is added to the other, with a migration per dialect.

import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  serial,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Epoch milliseconds. */
const epochMs = (name: string) => bigint(name, { mode: 'number' });
/** Ids of the tables that grow with traffic (numbers, calls): past int4's 2.1 billion over a deployment's life. */
const bigId = (name: string) => bigserial(name, { mode: 'number' });
/** Money in fen. */
const fen = (name: string) => numeric(name, { mode: 'number' });

const timestamps = {
  createdAt: epochMs('created_at').notNull(),
  updatedAt: epochMs('updated_at').notNull(),
};

/** Business systems allowed to call the HTTP API (spec 接口基础说明). The secret is needed in clear to check MD5 signs. */
export const apiAccounts = pgTable('api_accounts', {
  id: serial('id').primaryKey(),
  account: text('account').notNull().unique(),
  secret: text('secret').notNull(),
  status: integer('status').notNull().default(1),
  expiresAt: epochMs('expires_at'),
  /** Comma-separated client IPs; empty means any. */
  ipAllowlist: text('ip_allowlist').notNull().default(''),
  /**
   * 'spec': the spec's MD5(account + timestamp + secret). 'strict': also a `nonce` header (each used once within the
   * window) and `sign = HMAC-SHA256(secret, account\ntimestamp\nnonce\nMETHOD\npath?query\nsha256(body))`.
   */
  signMode: text('sign_mode').notNull().default('spec'),
  ...timestamps,
});

export const fsNodes = pgTable('fs_nodes', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  eslHost: text('esl_host').notNull(),
  eslPort: integer('esl_port').notNull(),
  eslPassword: text('esl_password').notNull(),
  wssUrl: text('wss_url').notNull(),
  nativeAddress: text('native_address').notNull(),
  sipDomain: text('sip_domain').notNull(),
  maxSessions: integer('max_sessions').notNull(),
  sessionsPerSecond: integer('sessions_per_second').notNull(),
  weight: integer('weight').notNull().default(1),
  status: integer('status').notNull().default(1),
  ...timestamps,
});

export const gateways = pgTable('gateways', {
  id: serial('id').primaryKey(),
  gwCode: text('gw_code').notNull().unique(),
  gwName: text('gw_name').notNull(),
  registerType: integer('register_type').notNull(),
  originationCallId: text('origination_call_id'),
  codec: text('codec'),
  mobilePhonePrefix: text('mobile_phone_prefix'),
  fixedPhonePrefix: text('fixed_phone_prefix'),
  realm: text('realm').notNull(),
  username: text('username'),
  password: text('password'),
  remark: text('remark'),
  callLimit: integer('call_limit'),
  billType: integer('bill_type'),
  billsec: integer('billsec'),
  priceFen: fen('price_fen'),
  status: integer('status').notNull(),
  /** Lines the carrier gives us: the gateway's maximum concurrent calls (spec `concurrency` in getAvailableList). */
  expectCount: integer('expect_count'),
  returnVisit: integer('return_visit').notNull(),
  accountBalanceFen: fen('account_balance_fen'),
  rechargedAmountFen: fen('recharged_amount_fen'),
  ...timestamps,
});

export const projects = pgTable('projects', {
  id: serial('id').primaryKey(),
  projectCode: text('project_code').notNull(),
  seats: integer('seats').notNull(),
  nodeId: integer('node_id')
    .notNull()
    .references(() => fsNodes.id),
  certificate: text('certificate').notNull().unique(),
  /** Claims manager (type 3) extensions over the unsigned console; the agents' `certificate` claims only agents. */
  managerCertificate: text('manager_certificate').unique(),
  /** 1 active, 2 finished. A finished project's code may be created again. */
  status: integer('status').notNull().default(1),
  finishedAt: epochMs('finished_at'),
  /**
   * The gateway agents' own calls go out through first (issue 17.11), set at createProject or by setDefaultGateway.
   * No foreign key: deleting the gateway must stay possible; a missing or disabled one is skipped.
   */
  defaultGatewayId: integer('default_gateway_id'),
  ...timestamps,
});

export const extensions = pgTable(
  'extensions',
  {
    id: serial('id').primaryKey(),
    username: text('username').notNull(),
    nodeId: integer('node_id')
      .notNull()
      .references(() => fsNodes.id),
    password: text('password').notNull(),
    /** 2 agent, 3 manager (spec 一.4 `type`). */
    type: integer('type').notNull(),
    projectId: integer('project_id').references(() => projects.id),
    /** -1 disabled, 0 not available, 1 available. */
    workStatus: integer('work_status').notNull().default(0),
    /** 0 unregistered, 1 registered. */
    regStatus: integer('reg_status').notNull().default(0),
    claimedAt: epochMs('claimed_at'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('extensions_node_username').on(t.nodeId, t.username),
    index('extensions_project').on(t.projectId),
  ],
);

export const voices = pgTable('voices', {
  id: serial('id').primaryKey(),
  voiceCode: text('voice_code').notNull().unique(),
  qiniuKey: text('qiniu_key'),
  filePath: text('file_path').notNull(),
  ...timestamps,
});

export const callLists = pgTable('call_lists', {
  id: serial('id').primaryKey(),
  name: text('name'),
  ...timestamps,
});

/** Numbers get a global id so that callListLastId / callTaskAdditional can say "everything after id N". */
export const callListNumbers = pgTable(
  'call_list_numbers',
  {
    id: bigId('id').primaryKey(),
    callListId: integer('call_list_id')
      .notNull()
      .references(() => callLists.id),
    phone: text('phone').notNull(),
    createdAt: epochMs('created_at').notNull(),
  },
  (t) => [uniqueIndex('call_list_numbers_list_phone').on(t.callListId, t.phone)],
);

export const tasks = pgTable(
  'tasks',
  {
    id: serial('id').primaryKey(),
    callTaskCode: text('call_task_code').notNull().unique(),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    scheduleType: integer('schedule_type').notNull(),
    callType: integer('call_type').notNull(),
    callListId: integer('call_list_id').references(() => callLists.id),
    rate: doublePrecision('rate').notNull(),
    pacing: text('pacing').notNull().default('fixed'),
    expiredTime: epochMs('expired_time').notNull(),
    voiceCode: text('voice_code'),
    originalCallTaskCode: text('original_call_task_code'),
    originalResultDetail: text('original_result_detail'),
    evaluation: integer('evaluation').notNull().default(0),
    /** 1 init, 2 running, 3 paused, 4 ended. */
    status: integer('status').notNull().default(1),
    /** Highest call_list_numbers.id already loaded into task_numbers. */
    lastNumberId: bigint('last_number_id', { mode: 'number' }).notNull().default(0),
    startedAt: epochMs('started_at'),
    endedAt: epochMs('ended_at'),
    /** Share of the project's idle agents this task gets against the project's other running tasks (issue 14.2). */
    agentWeight: integer('agent_weight').notNull().default(1),
    /** JSON CallingWindow (src/dialer/calling-window.ts) or null: dial at any hour (issue 14.7). */
    callingWindow: text('calling_window'),
    /** JSON RetryRule[] (src/dialer/retry-rules.ts) or null: no retries (issue 14.8). */
    retryRules: text('retry_rules'),
    /** The adaptive pacer's abandon target for this task, at most the 3% cap; null = 3% (issue 14.9). */
    abandonTarget: doublePrecision('abandon_target'),
    /** Answering-machine detection (issue 23): 1 on, 0 off (default). */
    amd: integer('amd').notNull().default(0),
    /** What a machine gets: 'hangup', or 'message' (amdVoiceCode played after its beep, then hang up). */
    amdMachineAction: text('amd_machine_action', { enum: ['hangup', 'message'] })
      .notNull()
      .default('hangup'),
    amdVoiceCode: text('amd_voice_code'),
    /** JSON Partial<AmdThresholds> (src/calls/amd/settings.ts) over the defaults, or null: the defaults. */
    amdThresholds: text('amd_thresholds'),
    ...timestamps,
  },
  (t) => [index('tasks_project').on(t.projectId)],
);

export const taskGateways = pgTable(
  'task_gateways',
  {
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id),
    gatewayId: integer('gateway_id')
      .notNull()
      .references(() => gateways.id),
    concurrency: integer('concurrency').notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.gatewayId] })],
);

/**
 * One row per number a task will dial. `state` moves pending → dialing → done in one transaction per batch, the rows
 * taken locked (FOR UPDATE SKIP LOCKED, src/db/pg/dispenser.ts), so a number is never dialled twice by one task, also
 * across a restart or by two servers; `preview` numbers are held by one agent.
 */
export const taskNumbers = pgTable(
  'task_numbers',
  {
    id: bigId('id').primaryKey(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id),
    phone: text('phone').notNull(),
    state: text('state', { enum: ['pending', 'preview', 'dialing', 'done'] })
      .notNull()
      .default('pending'),
    assignedTo: text('assigned_to'),
    callUuid: text('call_uuid'),
    resultDetail: integer('result_detail'),
    /** Why the number was closed without a call of its own (e.g. recovered after a crash). */
    note: text('note'),
    /** Agent-first: attempts whose agent never took the call (capped, then the number is settled; issue 14.3). */
    agentMisses: integer('agent_misses').notNull().default(0),
    /** Retries already scheduled by the task's retry rules, and when the next one is due (issue 14.8). */
    retries: integer('retries').notNull().default(0),
    retryAt: epochMs('retry_at'),
    /**
     * The fencing epoch of the project's lease the number was dispensed under (issue 20; 0 for a lone instance):
     * after a take-over, numbers left 'dialing' under an older epoch are the previous owner's to recover.
     */
    epoch: integer('epoch').notNull().default(0),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('task_numbers_task_phone').on(t.taskId, t.phone),
    index('task_numbers_task_state').on(t.taskId, t.state, t.id),
  ],
);

export const callLogs = pgTable(
  'call_logs',
  {
    id: bigId('id').primaryKey(),
    callUuid: text('call_uuid').notNull().unique(),
    taskId: integer('task_id').references(() => tasks.id),
    projectId: integer('project_id').references(() => projects.id),
    callTaskCode: text('call_task_code'),
    direction: text('direction', { enum: ['outbound', 'inbound', 'internal'] })
      .notNull()
      .default('outbound'),
    /** The agent's extension (spec callLog `callerIdNumber`). */
    callerIdNumber: text('caller_id_number'),
    destinationNumber: text('destination_number').notNull(),
    gatewayId: integer('gateway_id').references(() => gateways.id),
    startTimestamp: epochMs('start_timestamp'),
    answerTimestamp: epochMs('answer_timestamp'),
    endTimestamp: epochMs('end_timestamp'),
    duration: integer('duration'),
    billsec: integer('billsec'),
    hangupCause: text('hangup_cause'),
    sipTermStatus: text('sip_term_status'),
    hangupDisposition: text('hangup_disposition'),
    recordFile: text('record_file'),
    recordFileQiniu: text('record_file_qiniu'),
    priceRule: text('price_rule'),
    priceCal: fen('price_cal'),
    result: integer('result'),
    resultDetail: integer('result_detail'),
    evaluation: integer('evaluation'),
    cdrReceived: integer('cdr_received').notNull().default(0),
    /** Why the number was not dialled (e.g. `dnc-global`, `dnc-project`); such rows have no result (issue 14.6). */
    skipReason: text('skip_reason'),
    /** Predictive live answers as the dialer counted them: 1 abandoned (no agent within 2 s), 0 connected. */
    abandoned: integer('abandoned'),
    /** Live answer → agent connected, in ms (null when no agent was connected). */
    agentWaitMs: integer('agent_wait_ms'),
    /** Answering-machine detection's verdict (human, machine, notsure) or null: not analysed (issue 23). */
    amdVerdict: text('amd_verdict'),
    /** Audio analysed when the verdict fell (ms after the answer). */
    amdMs: integer('amd_ms'),
    addTime: epochMs('add_time').notNull(),
    updateTime: epochMs('update_time').notNull(),
  },
  (t) => [
    index('call_logs_task').on(t.taskId),
    index('call_logs_project_start').on(t.projectId, t.startTimestamp),
    index('call_logs_end').on(t.endTimestamp),
  ],
);

/**
 * Do-not-call numbers (issue 14.6): `projectCode` '' is the global list, otherwise the list of that project code
 * (kept across a finished project being created again: the customer asked the campaign's owner, not one run).
 */
export const dncNumbers = pgTable(
  'dnc_numbers',
  {
    id: bigId('id').primaryKey(),
    projectCode: text('project_code').notNull().default(''),
    phone: text('phone').notNull(),
    note: text('note'),
    createdAt: epochMs('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('dnc_numbers_scope_phone').on(t.projectCode, t.phone),
    index('dnc_numbers_phone').on(t.phone),
  ],
);

/** Recordings waiting for (or retrying) upload to Qiniu; the local file is kept in every case. */
export const uploads = pgTable('uploads', {
  id: bigId('id').primaryKey(),
  callUuid: text('call_uuid').notNull(),
  filePath: text('file_path').notNull(),
  key: text('key').notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: epochMs('next_attempt_at').notNull(),
  lastError: text('last_error'),
  doneAt: epochMs('done_at'),
  ...timestamps,
});
