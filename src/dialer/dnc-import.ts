// Do-not-call imports without stalling the server (issue 17.10: 100,000 numbers held the event loop 2.3 s, and an
// 18 MiB CSV was read whole into memory before it was refused). A CSV is read as it streams in, line by line; each
// value is checked as it comes, so a bad number or the 100,001st stops the reading at once. Nothing is written until
// every value has been read and checked; then the change is applied in batches, each its own transaction, with a
// turn of the event loop between them. If a batch fails, the batches already applied are undone before the error is
// answered: a failed import leaves the list as it was.
import { setImmediate } from 'node:timers/promises';
import { StringDecoder } from 'node:string_decoder';
import { invalid } from '../core/errors.js';
import { normalizePhone } from '../core/phone.js';

/** Distinct numbers one request may carry. */
const MAX_NUMBERS = 100_000;
/** A CSV line longer than this is not a list of phone numbers (and would grow the line buffer without bound). */
export const MAX_LINE_CHARS = 1024;
/** Numbers written per transaction, and values checked between two turns of the event loop. */
const APPLY_BATCH = 500;
const CHECK_BATCH = 2000;

/** The key a phone is listed and looked up by: its digits, grouping and a leading + dropped. */
export { dncKey } from '../core/phone.js';
import { dncKey } from '../core/phone.js';

/** The first column of one CSV line, unquoted; '' for a blank line. */
const firstColumn = (line: string): string =>
  (line.split(/[,;\t]/)[0] ?? '')
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();

/** Splits a CSV's text, given in pieces as it arrives, into its first-column values with their line numbers. */
export class CsvFirstColumn {
  private carry = '';
  private started = false;
  private line = 0;
  private readonly decoder = new StringDecoder('utf8');

  push(chunk: Buffer | string): { position: number; value: string }[] {
    let text = this.carry + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    if (!this.started && text !== '') {
      this.started = true;
      text = text.replace(/^\uFEFF/, '');
    }
    // A \r at the end may be the first half of \r\n: keep it with the line it ends until the next piece.
    const heldCr = text.endsWith('\r');
    const lines = (heldCr ? text.slice(0, -1) : text).split(/\r\n|\n|\r/);
    // The last piece is a line the chunk boundary may have cut.
    this.carry = (lines.pop() ?? '') + (heldCr ? '\r' : '');
    const values = this.values(lines);
    if (this.carry.length > MAX_LINE_CHARS)
      throw invalid(`file: line ${this.line + 1} is longer than ${MAX_LINE_CHARS} characters`);
    return values;
  }

  end(): { position: number; value: string }[] {
    const rest = (this.carry + this.decoder.end()).replace(/\r$/, '');
    this.carry = '';
    return this.values(rest === '' ? [] : rest.split(/\r\n|\n|\r/));
  }

  private values(lines: string[]): { position: number; value: string }[] {
    const out: { position: number; value: string }[] = [];
    for (const line of lines) {
      this.line++;
      if (line.length > MAX_LINE_CHARS)
        throw invalid(`file: line ${this.line} is longer than ${MAX_LINE_CHARS} characters`);
      const value = firstColumn(line);
      if (value !== '') out.push({ position: this.line, value });
    }
    return out;
  }
}

/**
 * The keys of an import, checked one by one as they arrive: any bad value rejects the whole request, naming its
 * position; a first CSV line without any digit is a header and skipped; more than MAX_NUMBERS distinct numbers are
 * refused as soon as the next one arrives.
 */
export class DncKeys {
  private readonly keys = new Set<string>();
  private seen = 0;

  async addAll(values: Iterable<{ position: number; value: string }>): Promise<void> {
    let sinceYield = 0;
    for (const v of values) {
      this.add(v);
      if (++sinceYield >= CHECK_BATCH) {
        sinceYield = 0;
        await setImmediate();
      }
    }
  }

  add({ position, value }: { position: number; value: string }): void {
    const first = this.seen++ === 0;
    if (first && position === 1 && !/\d/.test(value)) return;
    if (normalizePhone(value) === undefined)
      throw invalid(
        `numbers: value ${position} (${JSON.stringify(value.slice(0, 40))}) is not a phone number`,
      );
    this.keys.add(dncKey(value));
    if (this.keys.size > MAX_NUMBERS)
      throw invalid(`numbers may hold at most ${MAX_NUMBERS} phone numbers per request`);
  }

  done(): string[] {
    if (this.keys.size === 0) throw invalid('numbers must hold at least one phone number');
    return [...this.keys];
  }
}

/**
 * Applies `step` to the keys batch by batch, a turn of the event loop between batches; if a batch throws, `undo`
 * gets every result of the batches already applied, in one go, and the error is thrown on.
 */
export async function applyInBatches<R>(
  keys: string[],
  step: (batch: string[]) => Promise<R[]>,
  undo: (applied: R[]) => Promise<unknown>,
): Promise<R[]> {
  const applied: R[] = [];
  try {
    for (let i = 0; i < keys.length; i += APPLY_BATCH) {
      if (i > 0) await setImmediate();
      applied.push(...(await step(keys.slice(i, i + APPLY_BATCH))));
    }
  } catch (err) {
    await undo(applied);
    throw err;
  }
  return applied;
}

/** Runs imports one after another, so that one's undo cannot take back numbers another one counted as listed. */
export class ImportQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.last.then(job, job);
    this.last = next.catch(() => undefined);
    return next;
  }
}
