// Call lists: the numbers a task dials. Appending reports each bad or duplicate value by its position (1-based,
// in the array or the CSV's lines) so the business system can fix its source instead of guessing.
import type { Clock } from '../core/clock.js';
import { invalid, notFound, type AppError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { CallListsRepo } from '../db/repos/call-lists.js';

/** Digits with an optional leading +, at most 20 characters (E.164 allows 15 digits; carriers add prefixes). */
const PHONE = /^\+?[0-9]{1,19}$/;

export interface Rejected {
  position: number;
  value: string;
  reason: string;
}

export interface AppendResult {
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
    if (first !== '') out.push({ position: i + 1, value: first });
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
  return value.map((v, i) => ({
    position: i + 1,
    value: typeof v === 'string' || typeof v === 'number' ? String(v).trim() : JSON.stringify(v),
  }));
}

/** Splits values into the phones to insert and the rejected ones (bad format, repeated, already in the list). */
export function screenNumbers(
  values: { position: number; value: string }[],
  alreadyInList: Set<string>,
): { phones: string[]; rejected: Rejected[] } {
  const seen = new Set<string>();
  const phones: string[] = [];
  const rejected: Rejected[] = [];
  for (const { position, value } of values) {
    if (!PHONE.test(value))
      rejected.push({ position, value, reason: 'not a phone number (digits, optional leading +, ≤ 20)' });
    else if (seen.has(value) || alreadyInList.has(value))
      rejected.push({ position, value, reason: 'duplicate in the call list' });
    else {
      seen.add(value);
      phones.push(value);
    }
  }
  return { phones, rejected };
}

export class CallListService {
  constructor(private readonly d: { db: Db; callLists: CallListsRepo; clock: Clock }) {}

  create(name?: string): { callListId: number } {
    return { callListId: this.d.callLists.create(name ?? null, this.d.clock.now()).id };
  }

  append(callListId: number, values: { position: number; value: string }[]): AppendResult {
    const { db, callLists, clock } = this.d;
    if (!callLists.get(callListId)) throw notFound(`callListId ${callListId} does not exist`);
    const now = clock.now();
    return db.transaction(() => {
      const existing = callLists.existing(
        callListId,
        values.map((v) => v.value),
      );
      const { phones, rejected } = screenNumbers(values, existing);
      const lastId = callLists.insertNumbers(callListId, phones, now) ?? null;
      return { callListId, lastId, accepted: phones.length, rejected };
    });
  }
}
