// The PostgreSQL forms of the multi-table atomic units (src/db/repos/project-setup.ts, agent-calls.ts,
// call-outcomes.ts): each one transaction, with row locks where two writers could race (SQLite serialises writers;
// PostgreSQL runs them side by side).
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { projectGatewayOrder, inIdOrder, previewRefusal } from '../../repos/agent-calls.js';
import type { CallOutcome } from '../../repos/call-outcomes.js';
import type { Gateway } from '../../repos/gateways.js';
import type { Extension, Project } from '../../repos/projects.js';
import {
  caseSlots,
  codesKey,
  conflictSet,
  groupShape,
  insertSlots,
  insertValues,
  KeptFacts,
  notMeasured,
  numbersSlots,
  numbersValues,
  planBatch,
  settledNumbers,
  type OutcomeFacts,
  type OutcomeGroup,
} from '../../repos/outcome-batch.js';
import { preparedOnce } from '../../repos/prepared.js';
import { preparedSql } from '../prepared.js';
import { first, type PgExecutor, type PgTx, transaction } from '../rows.js';
import { callLogs, gateways, projects, taskGateways, taskNumbers, tasks } from '../schema.js';
import { pgCallLogsRepo, write as writeCallLog } from './call-logs.js';
import { pgGatewaysRepo } from './gateways.js';
import { pgExtensionsRepo, pgProjectsRepo } from './projects.js';

type NewProject = Parameters<ReturnType<typeof pgProjectsRepo>['insert']>[0];

/**
 * Taken (for the transaction) while extensions are handed out: two projects created at once would otherwise both
 * reuse one free extension or both number a new one highest + 1. Any fixed 64-bit number; this spells "ccextens".
 */
const EXTENSION_LOCK = 0x6363657874656e73n;

export function pgProjectSetupRepo(db: PgExecutor) {
  return {
    /** The project with one extension per entry of `types` (free ones of the node first), in one transaction. */
    create: (
      row: NewProject,
      types: number[],
      extensionStart: number,
      newPassword: () => string,
      now: number,
    ): Promise<{ project: Project; extensions: Extension[] }> =>
      transaction(db, async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${EXTENSION_LOCK.toString()}::bigint)`);
        const p = await pgProjectsRepo(tx).insert(row, now);
        const extensions = pgExtensionsRepo(tx);
        const free = await extensions.freeOnNode(row.nodeId);
        let next = Math.max(extensionStart, (await extensions.highestNumber()) + 1);
        for (const type of types) {
          const reuse = free.shift();
          if (reuse)
            await extensions.assign(reuse.id, { projectId: p.id, type, password: newPassword() }, now);
          else
            await extensions.insert(
              {
                username: String(next++),
                nodeId: row.nodeId,
                password: newPassword(),
                type,
                projectId: p.id,
              },
              now,
            );
        }
        return { project: p, extensions: await extensions.ofProject(p.id) };
      }),
    /** Ends the project's unfinished tasks (status 4). */
    async endTasks(projectId: number, now: number): Promise<void> {
      await db
        .update(tasks)
        .set({ status: 4, endedAt: now, updatedAt: now })
        .where(and(eq(tasks.projectId, projectId), ne(tasks.status, 4)));
    },
    /** Frees the extensions (each with its new password) and marks the project finished, in one transaction. */
    finish: (projectId: number, freed: { id: number; password: string }[], now: number): Promise<void> =>
      transaction(db, async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${EXTENSION_LOCK.toString()}::bigint)`);
        const extensions = pgExtensionsRepo(tx);
        for (const e of freed) await extensions.assign(e.id, { projectId: null, password: e.password }, now);
        await pgProjectsRepo(tx).finish(projectId, now);
      }),
    /** The extension joins the project as what it is (keeps number and password) and is claimed. */
    move: (extensionId: number, projectId: number, type: number, now: number): Promise<void> =>
      transaction(db, async (tx) => {
        const extensions = pgExtensionsRepo(tx);
        await extensions.assign(extensionId, { projectId, type }, now);
        await extensions.claim(extensionId, now);
      }),
  };
}

type PreviewClaim = { ok: true; numberId: number } | { ok: false; reason: string };

export function pgAgentCallsRepo(db: PgExecutor) {
  const gatewaysByIds = async (ids: number[]): Promise<Gateway[]> =>
    ids.length === 0
      ? []
      : inIdOrder(
          ids,
          await db
            .select()
            .from(gateways)
            .where(inArray(gateways.id, [...new Set(ids)])),
        );
  return {
    /** The gateways of the given tasks, in link-table order. */
    async ofTasks(taskIds: number[]): Promise<Gateway[]> {
      if (taskIds.length === 0) return [];
      const links = await db.select().from(taskGateways).where(inArray(taskGateways.taskId, taskIds));
      return gatewaysByIds(links.map((r) => r.gatewayId));
    },
    /** The gateways for the project's own calls, in the order to try them (projectGatewayOrder). */
    async ofProject(projectId: number): Promise<Gateway[]> {
      const own = await db.select().from(tasks).where(eq(tasks.projectId, projectId));
      const links = own.length
        ? await db
            .select()
            .from(taskGateways)
            .where(
              inArray(
                taskGateways.taskId,
                own.map((t) => t.id),
              ),
            )
        : [];
      const preferred = first(
        await db.select({ id: projects.defaultGatewayId }).from(projects).where(eq(projects.id, projectId)),
      )?.id;
      return gatewaysByIds(projectGatewayOrder(own, links, preferred));
    },
    /** A preview number claimed for the agent's call, its row locked (two clicks cannot dial it twice). */
    claimPreview: (
      taskId: number,
      taskCode: string,
      phone: string,
      username: string,
      callId: string,
    ): Promise<PreviewClaim> =>
      transaction(db, async (tx): Promise<PreviewClaim> => {
        const row = first(
          await tx
            .select()
            .from(taskNumbers)
            .where(and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.phone, phone)))
            .for('update'),
        );
        const refused = previewRefusal(row, taskCode, phone, username);
        if (refused || !row) return { ok: false, reason: refused ?? '' };
        await tx
          .update(taskNumbers)
          .set({ state: 'dialing', callUuid: callId })
          .where(eq(taskNumbers.id, row.id));
        return { ok: true, numberId: row.id };
      }),
    /** The agent's call never started: the number is the agent's preview number again. */
    async returnPreview(numberId: number): Promise<void> {
      await db
        .update(taskNumbers)
        .set({ state: 'preview', callUuid: null })
        .where(eq(taskNumbers.id, numberId));
    },
  };
}

export function pgCallOutcomesRepo(db: PgExecutor) {
  const codes = new KeptFacts<{ taskId: number | null; projectId: number | null }>();
  const gatewaysByCode = new KeptFacts<Gateway | undefined>();
  /** The ids behind the batch's codes and its gateways: one statement per one not kept (OUTCOME_FACTS_TTL_MS). */
  async function readFacts(outcomes: CallOutcome[], now: number): Promise<(o: CallOutcome) => OutcomeFacts> {
    for (const o of outcomes) {
      if (!codes.get(codesKey(o), now))
        codes.set(
          codesKey(o),
          await pgCallLogsRepo(db).resolveCodes({ taskCode: o.taskCode, projectCode: o.projectCode }),
          now,
        );
      const code = o.gatewayCode;
      if (code && !gatewaysByCode.get(code, now))
        gatewaysByCode.set(code, await pgGatewaysRepo(db).byCode(code), now);
    }
    return (o) => ({
      taskId: null,
      projectId: null,
      ...codes.get(codesKey(o), now)?.value,
      gateway: o.gatewayCode ? gatewaysByCode.get(o.gatewayCode, now)?.value : undefined,
    });
  }

  /**
   * One outcome the careful way, in the caller's savepoint: the call log is composed from the row as it is under its
   * lock (a CDR written meanwhile is read again: `compose` is pure), in the same statements as the flow's upsert.
   */
  async function storeOne(tx: PgTx, o: CallOutcome, facts: OutcomeFacts, now: number): Promise<void> {
    await writeCallLog(
      tx,
      o.callId,
      (existing) => o.compose({ ...facts, measured: existing?.cdrReceived ? existing : undefined }),
      now,
    );
    if (o.numberId !== null)
      await tx
        .update(taskNumbers)
        .set({ state: 'done', resultDetail: o.resultDetail, callUuid: o.callId, updatedAt: now })
        .where(eq(taskNumbers.id, o.numberId));
  }

  /**
   * A group's statement: the call logs (rows the CDR wrote left alone) and, in a data-modifying WITH, the `settling`
   * numbers of the logs written. Built once per shape and number of numbers (prepared.ts), a named statement.
   */
  const statements = new Map<string, ReturnType<typeof prepareGroup>>();
  function prepareGroup(group: OutcomeGroup, settling: number) {
    const logs = db
      .insert(callLogs)
      .values(insertSlots(group))
      .onConflictDoUpdate({
        target: callLogs.callUuid,
        set: conflictSet(callLogs, group),
        setWhere: notMeasured(callLogs.cdrReceived),
      })
      .returning({ callUuid: callLogs.callUuid });
    if (settling === 0) return preparedSql<{ call_uuid: string }>(db, logs.getSQL());
    const { set, ids } = numbersSlots(taskNumbers.id, settling);
    const settle = db
      .update(taskNumbers)
      .set(set)
      .where(
        and(
          inArray(taskNumbers.id, ids),
          sql`${caseSlots(taskNumbers.id, settling, 'c', 'text')} in (select call_uuid from written)`,
        ),
      );
    return preparedSql<{ call_uuid: string }>(
      db,
      sql`with written as (${logs.getSQL()}), settled as (${settle.getSQL()}) select call_uuid from written`,
    );
  }

  /** A group in one statement, atomic without a transaction. Returns the call ids written. */
  async function storeGroup(group: OutcomeGroup, now: number): Promise<Set<string>> {
    const numbers = settledNumbers(group, new Set(group.rows.map((r) => r.outcome.callId)));
    const statement = preparedOnce(statements, `${groupShape(group)}/${numbers.length}`, () =>
      prepareGroup(group, numbers.length),
    );
    const rows = await statement.execute({ ...insertValues(group, now), ...numbersValues(numbers, now) });
    return new Set(rows.rows.map((r) => r.call_uuid));
  }

  return {
    /**
     * The batch: each group of outcomes in one statement; the outcomes it left (the CDR came first) or refused are
     * then written one by one, in one transaction, each in a savepoint: the ones that failed are returned, with why.
     */
    async store(outcomes: CallOutcome[], now: number): Promise<{ callId: string; err: unknown }[]> {
      const factsOf = await readFacts(outcomes, now);
      const { groups, single } = planBatch(outcomes, factsOf);
      const careful = [...single];
      for (const group of groups) {
        let written = new Set<string>();
        try {
          written = await storeGroup(group, now);
        } catch {
          // Told apart below, one outcome at a time, so only the bad one fails.
        }
        careful.push(...group.rows.map((r) => r.outcome).filter((o) => !written.has(o.callId)));
      }
      if (careful.length === 0) return [];
      return transaction(db, async (tx) => {
        const failed: { callId: string; err: unknown }[] = [];
        for (const o of careful)
          try {
            await transaction(tx, (sp) => storeOne(sp, o, factsOf(o), now));
          } catch (err) {
            failed.push({ callId: o.callId, err });
          }
        return failed;
      });
    },
  };
}
