// Call lists: the numbers a task dials. Appending reports each bad or duplicate value by its position (1-based,
// in the array or the CSV's lines) so the business system can fix its source instead of guessing.
import type { Clock } from '../core/clock.js';
import { normalizePhone } from '../core/phone.js';
import { invalid, notFound, type AppError } from '../core/errors.js';
import type { CallListsRepo } from '../db/repos/call-lists.js';

interface Rejected {
  position: number;
  value: string;
  reason: string;
}

interface AppendResult {
  callListId: number;
  /** Id of the last number appended; unchanged lists give null. */
  lastId: number | null;
  accepted: number;
  rejected: Rejected[];
}

/** The values of a CSV upload: the first column of each line; blank lines keep their position but are skipped. */
export function csvValues(text: string): { position: number; value: string }[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: { position: number; value: string }[] = [];
  lines.forEach((line, i) => {
    const first = (line.split(/[,;\t]/)[0] ?? '')
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim();
    // A first line without any digit is the file's header (`phone,name`), not a number to reject.
    if (first !== '' && !(i === 0 && !/\d/.test(first))) out.push({ position: i + 1, value: first });
  });
  return out;
}

/** Reads the `numbers` field: a JSON array (or a JSON array in a string, as form fields carry it). */
export function parseNumbersField(raw: unknown): { position: number; value: string }[] | AppError {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return invalid('numbers must be a JSON array of phone numbers');
    }
  }
  if (!Array.isArray(value)) return invalid('numbers must be a JSON array of phone numbers');
  const out: { position: number; value: string }[] = [];
  for (const [i, v] of value.entries()) {
    // A nested array or object is refused as a whole, never stringified: 20,000 levels of nesting would overflow
    // the stack (issue #17), and no source of phone numbers nests them.
    if (v !== null && typeof v === 'object')
      return invalid(
        `numbers must be a flat JSON array of phone numbers (value ${i + 1} is ${Array.isArray(v) ? 'an array' : 'an object'})`,
      );
    out.push({ position: i + 1, value: String(v).trim() });
  }
  return out;
}

/** Splits values into the phones to insert and the rejected ones (bad format, repeated, already in the list). */
function screenNumbers(
  values: { position: number; value: string }[],
  alreadyInList: Set<string>,
): { phones: string[]; rejected: Rejected[] } {
  const seen = new Set<string>();
  const phones: string[] = [];
  const rejected: Rejected[] = [];
  for (const { position, value: raw } of values) {
    const value = normalizePhone(raw);
    if (value === undefined)
      rejected.push({
        position,
        value: raw.slice(0, 40),
        reason: 'not a phone number (digits, optional leading +, ≤ 20; spaces, -, . and () are dropped)',
      });
    else if (seen.has(value) || alreadyInList.has(value))
      rejected.push({ position, value, reason: 'duplicate in the call list' });
    else {
      seen.add(value);
      phones.push(value);
    }
  }
  return { phones, rejected };
}

/** Numbers per transaction of a large append; between two, the event loop runs (calls, STOMP, /health). */
export const APPEND_CHUNK = 5_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class CallListService {
  /** The append in progress per call list: appends to one list run one after another. */
  private readonly appending = new Map<number, Promise<unknown>>();

  constructor(private readonly d: { callLists: CallListsRepo; clock: Clock }) {}

  async create(name?: string): Promise<{ callListId: number }> {
    return { callListId: (await this.d.callLists.create(name ?? null, this.d.clock.now())).id };
  }

  async append(callListId: number, values: { position: number; value: string }[]): Promise<AppendResult> {
    const { callLists, clock } = this.d;
    if (!(await callLists.get(callListId))) throw notFound(`callListId ${callListId} does not exist`);
    let rejected: Rejected[] = [];
    const r = await callLists.appendScreened(
      callListId,
      values.map((v) => v.value),
      (existing) => {
        const screened = screenNumbers(values, existing);
        rejected = screened.rejected;
        return screened.phones;
      },
      clock.now(),
    );
    return { callListId, lastId: r.lastId, accepted: r.accepted, rejected };
  }

  /**
   * `append` for any size without stalling the server: a 100k-number append held the event loop for about a
   * second in one transaction. The list's numbers are read and the new ones written APPEND_CHUNK at a time, one
   * transaction each, with a turn of the event loop in between. It stays all-or-nothing: appends to one list are
   * serialized, and if a chunk fails the numbers this append already wrote are deleted before the error is passed on.
   */
  async appendYielding(
    callListId: number,
    values: { position: number; value: string }[],
  ): Promise<AppendResult> {
    const before = this.appending.get(callListId);
    if (!before && values.length <= APPEND_CHUNK) return this.append(callListId, values);
    const run = (before ?? Promise.resolve())
      .catch(() => undefined)
      .then(() =>
        values.length <= APPEND_CHUNK
          ? this.append(callListId, values)
          : this.appendChunked(callListId, values),
      );
    this.appending.set(callListId, run);
    try {
      return await run;
    } finally {
      if (this.appending.get(callListId) === run) this.appending.delete(callListId);
    }
  }

  private async appendChunked(
    callListId: number,
    values: { position: number; value: string }[],
  ): Promise<AppendResult> {
    const { callLists, clock } = this.d;
    if (!(await callLists.get(callListId))) throw notFound(`callListId ${callListId} does not exist`);
    const existing = new Set<string>();
    for (let after = 0; ;) {
      const page = await callLists.numbersAfter(callListId, after, APPEND_CHUNK);
      for (const n of page) existing.add(n.phone);
      if (page.length < APPEND_CHUNK) break;
      after = page[page.length - 1]!.id;
      await nextTurn();
    }
    const { phones, rejected } = screenNumbers(values, existing);
    const now = clock.now();
    let firstId: number | undefined;
    let lastId: number | null = null;
    try {
      for (let i = 0; i < phones.length; i += APPEND_CHUNK) {
        await nextTurn();
        const chunk = phones.slice(i, i + APPEND_CHUNK);
        const ids = await callLists.insertNumberRange(callListId, chunk, now);
        if (ids) {
          firstId ??= ids.first;
          lastId = ids.last;
        }
      }
    } catch (err) {
      if (firstId !== undefined) await callLists.removeFrom(callListId, firstId);
      throw err;
    }
    return { callListId, lastId, accepted: phones.length, rejected };
  }
}
