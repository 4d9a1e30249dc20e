// Large imports (100,000 numbers, issue 19): one INSERT … SELECT FROM unnest($array) per chunk. The phones travel as
// one array parameter, so the statement is the same text whatever the chunk's size; building a 2,000-row VALUES list
// with drizzle cost ~80 ms per 1,000 numbers on the event loop, unnest ~8 ms including the insert itself.
import { sql } from 'drizzle-orm';
import type { PgExecutor } from './rows.js';
import { callListNumbers, dncNumbers, taskNumbers } from './schema.js';

/** Phones per statement: bounds one statement's memory, not a parameter limit (there is one parameter). */
export const BULK_CHUNK = 10_000;

const phonesParam = (phones: string[]) => sql`${sql.param(phones)}::text[]`;

/** Inserts the phones into the call list in the order given; returns their ids (bigint ids arrive as text). */
export async function insertListNumbers(
  db: PgExecutor,
  callListId: number,
  phones: string[],
  now: number,
): Promise<number[]> {
  const result = await db.execute<{ id: string }>(
    sql`insert into ${callListNumbers} (call_list_id, phone, created_at)
        select ${callListId}, u.phone, ${now} from unnest(${phonesParam(phones)}) with ordinality as u(phone, n)
        order by u.n returning id`,
  );
  return result.rows.map((r) => Number(r.id));
}

/** Adds the phones as pending numbers of the task, skipping those it has; returns how many were added. */
export async function insertTaskNumbers(
  db: PgExecutor,
  taskId: number,
  phones: string[],
  now: number,
): Promise<number> {
  const result = await db.execute(
    sql`insert into ${taskNumbers} (task_id, phone, state, updated_at)
        select ${taskId}, u.phone, 'pending', ${now} from unnest(${phonesParam(phones)}) with ordinality as u(phone, n)
        order by u.n on conflict do nothing`,
  );
  return result.rowCount ?? 0;
}

/** Adds the phones to a do-not-call list, skipping those it has; returns the phones that were new. */
export async function insertDncNumbers(
  db: PgExecutor,
  projectCode: string,
  phones: string[],
  note: string | null,
  now: number,
): Promise<string[]> {
  const result = await db.execute<{ phone: string }>(
    sql`insert into ${dncNumbers} (project_code, phone, note, created_at)
        select ${projectCode}, u.phone, ${note}, ${now} from unnest(${phonesParam(phones)}) with ordinality as u(phone, n)
        order by u.n on conflict do nothing returning phone`,
  );
  return result.rows.map((r) => r.phone);
}
