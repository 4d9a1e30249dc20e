// What both stores' outcome flush (call-outcomes.ts, pg/repos/units.ts) decides the same way, so a batch of outcomes
// costs a statement or two instead of several per outcome (issue 19: ≤ 3 statements per attempt):
//   - the ids behind a leg's codes and its gateway are kept for a few seconds (they change rarely; every outcome of
//     a campaign asks for the same ones), instead of being read for every outcome;
//   - each outcome's call log is composed as if FreeSWITCH's CDR had not come first, and the batch is written in one
//     multi-row INSERT … ON CONFLICT DO UPDATE that leaves a row the CDR wrote alone (cdr_received = 1); those few
//     outcomes, and any the batch statement refused, go the careful way (read the row under lock, compose with it).
import { eq, getTableColumns, sql, type Column, type Placeholder, type SQL, type Table } from 'drizzle-orm';
import type { CallLog, CallLogFields } from './call-logs.js';
import type { Gateway } from './gateways.js';

/**
 * How long the ids of a task or project code and a gateway's row are kept. A gateway's price rule changed, or a
 * project code given to a new project, reaches outcomes stored after this (as the flows' task facts, services.ts).
 */
const OUTCOME_FACTS_TTL_MS = 5_000;
const MAX_KEPT = 1_000;

/** Values kept for OUTCOME_FACTS_TTL_MS by key (undefined is a value too: "no such gateway"). */
export class KeptFacts<V> {
  private readonly kept = new Map<string, { value: V; until: number }>();

  get(key: string, now: number): { value: V } | undefined {
    const k = this.kept.get(key);
    return k && k.until > now ? { value: k.value } : undefined;
  }

  set(key: string, value: V, now: number): V {
    if (this.kept.size >= MAX_KEPT) this.kept.clear();
    this.kept.set(key, { value, until: now + OUTCOME_FACTS_TTL_MS });
    return value;
  }
}

/** What an outcome's call log is composed from. */
interface OutcomeRead {
  taskId: number | null;
  projectId: number | null;
  gateway: Gateway | undefined;
  /** The call log as the CDR left it, when FreeSWITCH's CDR came first (its measurements win). */
  measured: CallLog | undefined;
}

export interface CallOutcome {
  callId: string;
  taskCode: string | null;
  projectCode: string | null;
  gatewayCode: string | null;
  /** The task number dialled, settled with the result. */
  numberId: number | null;
  resultDetail: number;
  compose(read: OutcomeRead): CallLogFields;
}

/** The ids behind a leg's codes and its gateway, as the outcome's `compose` reads them. */
export interface OutcomeFacts {
  taskId: number | null;
  projectId: number | null;
  gateway: Gateway | undefined;
}

export const codesKey = (o: CallOutcome): string => `${o.taskCode ?? ''}\u0000${o.projectCode ?? ''}`;

interface Planned {
  outcome: CallOutcome;
  fields: CallLogFields;
}

/** Outcomes whose composed fields name the same columns: one multi-row statement each. */
export interface OutcomeGroup {
  columns: (keyof CallLogFields)[];
  rows: Planned[];
}

/**
 * A bit per column name (2^k, k < 53: a double holds the sum exactly), given as names are first seen: a set of
 * columns is then a number, worked out per outcome without building, sorting and joining a list of names (issue
 * 21: that was most of what planning a batch allocated).
 */
const columnBits = new Map<string, number>();
function columnBit(name: string): number {
  let bit = columnBits.get(name);
  if (bit === undefined) {
    if (columnBits.size >= 53) throw new Error(`more than 53 call log columns: ${name}`);
    columnBits.set(name, (bit = 2 ** columnBits.size));
  }
  return bit;
}

/**
 * Composes each outcome as if no CDR came first and groups them by the columns they set. An outcome whose call id
 * is already in the batch goes the careful way (`single`): one statement cannot write a row twice.
 */
export function planBatch(
  outcomes: CallOutcome[],
  factsOf: (o: CallOutcome) => OutcomeFacts,
): { groups: OutcomeGroup[]; single: CallOutcome[] } {
  const groups = new Map<number, OutcomeGroup>();
  const single: CallOutcome[] = [];
  const seen = new Set<string>();
  for (const outcome of outcomes) {
    if (seen.has(outcome.callId)) {
      single.push(outcome);
      continue;
    }
    seen.add(outcome.callId);
    const { taskId, projectId, gateway } = factsOf(outcome);
    const fields = outcome.compose({ taskId, projectId, gateway, measured: undefined });
    // The columns the outcome sets (a field left undefined is not one); the statement reads only these.
    let set = 0;
    for (const c in fields) if (fields[c as keyof CallLogFields] !== undefined) set += columnBit(c);
    let group = groups.get(set);
    if (!group) {
      const columns = Object.keys(fields).filter(
        (c) => fields[c as keyof CallLogFields] !== undefined,
      ) as (keyof CallLogFields)[];
      groups.set(set, (group = { columns: columns.sort(), rows: [] }));
    }
    group.rows.push({ outcome, fields });
  }
  return { groups: [...groups.values()], single };
}

/**
 * ON CONFLICT DO UPDATE's SET: the group's columns from the row offered (`excluded`), as the flow's upsert sets
 * the fields it has on a row that exists; the caller adds `setWhere: cdr_received = 0`.
 */
export function conflictSet(table: Table, group: OutcomeGroup): Record<string, SQL> {
  const columns: Record<string, Column> = getTableColumns(table);
  const set: Record<string, SQL> = {};
  for (const name of [...group.columns, 'updateTime']) {
    const column = columns[name];
    if (!column) throw new Error(`call_logs has no column ${name}`);
    set[name] = sql`excluded.${sql.identifier(column.name)}`;
  }
  return set;
}

/** The settled numbers of the written outcomes: (number id, call id, result detail). */
export function settledNumbers(group: OutcomeGroup, written: ReadonlySet<string>) {
  return group.rows.flatMap(({ outcome }) =>
    outcome.numberId !== null && written.has(outcome.callId)
      ? [{ id: outcome.numberId, callId: outcome.callId, resultDetail: outcome.resultDetail }]
      : [],
  );
}

/**
 * A placeholder as a value of a statement prepared once per shape. Wrapped in sql so drizzle passes the value as it
 * is: the call logs' and numbers' columns written here are plain integers and text, which need no mapping.
 */
const slot = (name: string): SQL => sql`${sql.placeholder(name)}`;

/**
 * A group's shape: its columns and its number of rows. Every group of one shape is written by the same statement,
 * so the statement is built and prepared once per shape (issue 21: building and preparing it for every batch was
 * the largest item of the main thread at 110 attempts/s) and run with the group's values (insertValues).
 */
export const groupShape = (group: OutcomeGroup): string => `${group.columns.join(',')}/${group.rows.length}`;

type InsertSlots = Record<string, SQL> &
  Record<'destinationNumber' | 'callUuid' | 'addTime' | 'updateTime', SQL>;

/** A group's rows as placeholders, `<row>.<column>`, for the statement prepared once per shape. */
export function insertSlots(group: OutcomeGroup): InsertSlots[] {
  return group.rows.map((_, i) => {
    const row: Record<string, SQL> = {};
    for (const c of group.columns) row[c] = slot(`${i}.${c}`);
    return {
      ...row,
      destinationNumber: slot(`${i}.destinationNumber`),
      callUuid: slot(`${i}.callUuid`),
      addTime: slot(`${i}.addTime`),
      updateTime: slot(`${i}.updateTime`),
    };
  });
}

/**
 * A row's value for a column of the group's statement: as the flow's upsert creates the row (destination '' when
 * the flow has none; null where the row leaves one of the group's columns unset).
 */
function rowValue(row: Planned, column: string, now: number): unknown {
  switch (column) {
    case 'destinationNumber':
      return row.fields.destinationNumber ?? '';
    case 'callUuid':
      return row.outcome.callId;
    case 'addTime':
    case 'updateTime':
      return now;
    default:
      return (row.fields as Record<string, unknown>)[column] ?? null;
  }
}

const SET_BY_EVERY_ROW = ['destinationNumber', 'callUuid', 'addTime', 'updateTime'] as const;

/** `<row>.<column>`, made once per row index and column: a batch looks them up for every row. */
const slotNames = new Map<string, string[]>();
function slotName(row: number, column: string): string {
  let names = slotNames.get(column);
  if (!names) slotNames.set(column, (names = []));
  return (names[row] ??= `${row}.${column}`);
}

/** The values of insertSlots' placeholders, by name. */
export function insertValues(group: OutcomeGroup, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  group.rows.forEach((row, i) => {
    for (const c of group.columns) out[slotName(i, c)] = rowValue(row, c, now);
    for (const c of SET_BY_EVERY_ROW) out[slotName(i, c)] = rowValue(row, c, now);
  });
  return out;
}

/** Where each parameter of a group's statement comes from: a row's column (insertSlots), or a constant. */
type RowParam = { row: number; column: string } | { value: unknown };

/** The statement's parameters (placeholder names `<row>.<column>`, or constants) as RowParams, once per shape. */
export function rowParams(params: ({ name: string } | { value: unknown })[]): RowParam[] {
  return params.map((p) => {
    if (!('name' in p)) return p;
    const dot = p.name.indexOf('.');
    return { row: Number(p.name.slice(0, dot)), column: p.name.slice(dot + 1) };
  });
}

/** insertValues' values in the order of the statement's parameters, for a statement bound by position. */
export function rowArgs(group: OutcomeGroup, params: RowParam[], now: number): unknown[] {
  const args = new Array<unknown>(params.length);
  for (let k = 0; k < params.length; k++) {
    const p = params[k]!;
    args[k] = 'row' in p ? rowValue(group.rows[p.row]!, p.column, now) : p.value;
  }
  return args;
}

/**
 * `case id when … then … end` over `count` placeholders (ids `i<k>`, values `<prefix><k>`), for updating rows in one
 * statement. The values are cast (written the same in SQLite and PostgreSQL), since PostgreSQL would otherwise type
 * the parameters as text.
 */
export const caseSlots = (id: Column, count: number, prefix: string, type: 'integer' | 'text'): SQL =>
  sql`case ${id} ${sql.join(
    Array.from(
      { length: count },
      (_, k) => sql`when ${slot(`i${k}`)} then cast(${slot(`${prefix}${k}`)} as ${sql.raw(type)})`,
    ),
    sql` `,
  )} end`;

/**
 * The SET of the settled numbers' update (done, with each one's result and call; one row: plain values) and their
 * ids, as placeholders (numbersValues), for the update prepared once per number of rows.
 */
export function numbersSlots(
  id: Column,
  count: number,
): { set: { state: 'done'; resultDetail: SQL; callUuid: SQL; updatedAt: SQL }; ids: Placeholder[] } {
  const one = count === 1;
  return {
    set: {
      state: 'done' as const,
      resultDetail: one ? slot('r0') : caseSlots(id, count, 'r', 'integer'),
      callUuid: one ? slot('c0') : caseSlots(id, count, 'c', 'text'),
      updatedAt: slot('now'),
    },
    ids: Array.from({ length: count }, (_, k) => sql.placeholder(`i${k}`)),
  };
}

/** The values of numbersSlots' placeholders. */
export function numbersValues(
  settled: { id: number; callId: string; resultDetail: number }[],
  now: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = { now };
  settled.forEach((s, k) => {
    out[`i${k}`] = s.id;
    out[`r${k}`] = s.resultDetail;
    out[`c${k}`] = s.callId;
  });
  return out;
}

/** `cdr_received = 0`: the rows the fast write may update (the CDR's rows are composed under lock instead). */
export const notMeasured = (cdrReceived: Column): SQL => eq(cdrReceived, 0);
