// Uploads finished recordings from the `uploads` table, one at a time, retrying failures with exponential backoff.
// The local file is never deleted: it is the recording of record (call logs show recordFile), the upload a copy.
// Work is driven by the injected Clock: a timer wakes the uploader when the next row falls due, and `enqueue`
// starts a run at once; tests use a FakeClock and `idle()`.
import { realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { RecordingUploadsRepo } from '../db/repos/call-logs.js';
import { keyForFile } from './keys.js';
import type { RecordingStore } from './recording-store.js';

interface UploaderLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface UploaderOptions {
  store: RecordingStore;
  uploads: RecordingUploadsRepo;
  /** Writes the uploaded copy's ref on the call log (recordFileQiniu). */
  onUploaded(callUuid: string, ref: string, now: number): Promise<void>;
  /**
   * The recording is not there (FreeSWITCH discards a recording without audio: "Discarding empty file"): the call log
   * should stop naming it.
   */
  onMissing?(callUuid: string, now: number): Promise<void>;
  /** Failed attempts before a row is given up for good (logged); default 12 (about 7 h with the default backoff). */
  maxAttempts?: number;
  clock: Clock;
  /**
   * Only files under this directory are uploaded: the path comes from a CDR, and a forged one (`/etc/shadow`) must
   * not turn the uploader into a way out for any file the server can read.
   */
  recordingsDir: string;
  log?: UploaderLog;
  /** First retry delay; doubles per failure up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest sleep between checks, so rows written by another process are seen too. */
  pollMs?: number;
  /** Rows per run. */
  batch?: number;
  /** Minutes east of UTC for the date in keys (480 for China). */
  utcOffsetMinutes?: number;
}

/** The delay before attempt `attempts + 1`, after `attempts` failures. */
export const backoffDelay = (attempts: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));

/** The next attempt of a row that must never be retried. */
const NEVER = Number.MAX_SAFE_INTEGER;

/** Whether `file`, symlinks resolved, lies inside `dir`. A file that does not exist yet is judged by its path. */
async function isInside(dir: string, file: string): Promise<boolean> {
  const real = async (p: string) => realpath(p).catch(() => resolve(p));
  const [root, target] = await Promise.all([real(dir), real(file)]);
  return target.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Attempts a missing file gets before it is taken as gone (with the default backoff: about 3.5 min). */
export const MISSING_FILE_ATTEMPTS = 3;

/** Never spin: even an overdue row (left by a failed run) waits this long. */
const MIN_WAIT_MS = 1000;

const UPLOADER_DEFAULTS = {
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  pollMs: 60_000,
  batch: 20,
  maxAttempts: 12,
};

export class RecordingUploader {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** Enqueues not yet stored (the run they start is waited for by idle). */
  private readonly queueing = new Set<Promise<void>>();
  private stopped = true;
  readonly counters = { uploaded: 0, failed: 0 };
  private readonly o: Required<Omit<UploaderOptions, 'log' | 'onMissing'>> &
    Pick<UploaderOptions, 'log' | 'onMissing'>;

  constructor(opts: UploaderOptions) {
    this.o = { ...UPLOADER_DEFAULTS, utcOffsetMinutes: 0, ...opts };
  }

  /** Queues a recording (idempotent per call) and starts uploading it now if the uploader is running. */
  enqueue(callUuid: string, filePath: string, callStartMs: number): void {
    const key = keyForFile(callUuid, callStartMs, filePath, this.o.utcOffsetMinutes);
    const queued = this.o.uploads
      .enqueue({ callUuid, filePath, key }, this.o.clock.now())
      .then(() => {
        if (!this.stopped) this.kick();
      })
      .catch((err: unknown) => this.o.log?.warn({ err, callUuid }, 'recording upload could not be queued'))
      .finally(() => this.queueing.delete(queued));
    this.queueing.add(queued);
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Stops scheduling and waits for the upload in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.idle();
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.queueing.size > 0) await Promise.all(this.queueing);
    while (this.running) await this.running;
  }

  /** Runs now (or once more right after the current run). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runDue()
      .then(() => undefined)
      .catch((err: unknown) => this.o.log?.warn({ err }, 'recording upload run failed'))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        } else
          this.schedule().catch((err: unknown) =>
            this.o.log?.warn({ err }, 'recording uploads could not be scheduled'),
          );
      });
  }

  /** Attempts every row due now, once. Returns how many were attempted. */
  async runDue(): Promise<number> {
    const { uploads, clock, store } = this.o;
    const rows = await uploads.due(clock.now(), this.o.batch);
    for (const row of rows) {
      const inside = await isInside(this.o.recordingsDir, row.filePath);
      const present =
        inside &&
        (await stat(row.filePath).then(
          (st) => st.isFile(),
          () => false,
        ));
      // A file may reach a shared directory late, so a missing one is tried a few times; then it is gone for good
      // (FreeSWITCH deletes a recording that holds no audio).
      const gone = inside && !present && row.attempts + 1 >= MISSING_FILE_ATTEMPTS;
      const res = !inside
        ? ({ ok: false, error: `${row.filePath} is not under ${this.o.recordingsDir}`, final: true } as const)
        : gone
          ? ({
              ok: false,
              error: `recording file ${row.filePath} does not exist (FreeSWITCH discards a recording without audio)`,
              final: true,
            } as const)
          : await store.upload(row.filePath, row.key);
      if (gone) await this.o.onMissing?.(row.callUuid, clock.now());
      const now = clock.now();
      if (res.ok) {
        await uploads.succeeded(row.id, now);
        await this.o.onUploaded(row.callUuid, res.ref, now);
        this.counters.uploaded++;
        this.o.log?.info({ callUuid: row.callUuid, ref: res.ref }, 'recording uploaded');
      } else {
        const attempts = row.attempts + 1;
        const givenUp = 'final' in res || attempts >= this.o.maxAttempts;
        const next = givenUp ? NEVER : now + backoffDelay(attempts, this.o.baseDelayMs, this.o.maxDelayMs);
        if (givenUp)
          this.o.log?.warn(
            { callUuid: row.callUuid, attempts, error: res.error },
            'recording upload given up; the local file (if any) is kept',
          );
        await uploads.failed(row.id, attempts, res.error, next, now);
        this.counters.failed++;
        this.o.log?.warn({ callUuid: row.callUuid, attempts, error: res.error }, 'recording upload failed');
      }
    }
    // A full batch means more may be due: go on without waiting for the timer.
    if (rows.length === this.o.batch) this.again = true;
    return rows.length;
  }

  private async schedule(): Promise<void> {
    if (this.stopped) return;
    const due = await this.o.uploads.nextDueAt();
    if (this.stopped) return;
    this.timer?.cancel();
    const now = this.o.clock.now();
    const wait = due === null ? this.o.pollMs : Math.min(this.o.pollMs, Math.max(MIN_WAIT_MS, due - now));
    this.timer = this.o.clock.setTimer(wait, () => {
      this.timer = null;
      this.kick();
    });
  }
}
