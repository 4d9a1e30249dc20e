// One registry of the errors the API can answer (style.md §6). Each maps to an HTTP status and a reqResult code
// (never 1, which means success). Messages name the field or the thing that is wrong.

const ErrorKind = {
  invalid: { http: 400, code: 400 },
  unauthorized: { http: 401, code: 401 },
  forbidden: { http: 403, code: 403 },
  notFound: { http: 404, code: 404 },
  conflict: { http: 409, code: 409 },
  /** Extension: too many failed logins for this account; the message and Retry-After say how long to wait. */
  tooManyAttempts: { http: 429, code: 429 },
  unavailable: { http: 503, code: 503 },
  internal: { http: 500, code: 500 },
} as const;
type ErrorKind = keyof typeof ErrorKind;

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** Seconds after which the request may be retried (sent as HTTP Retry-After). */
  readonly retryAfterS?: number;
  constructor(kind: ErrorKind, message: string, retryAfterS?: number) {
    super(message);
    this.kind = kind;
    this.retryAfterS = retryAfterS;
    this.name = 'AppError';
  }
  get http(): number {
    return ErrorKind[this.kind].http;
  }
  get code(): number {
    return ErrorKind[this.kind].code;
  }
}

export const invalid = (msg: string): AppError => new AppError('invalid', msg);
export const unauthorized = (msg: string): AppError => new AppError('unauthorized', msg);
export const forbidden = (msg: string): AppError => new AppError('forbidden', msg);
export const notFound = (msg: string): AppError => new AppError('notFound', msg);
export const conflict = (msg: string): AppError => new AppError('conflict', msg);
export const unavailable = (msg: string): AppError => new AppError('unavailable', msg);
export const tooManyAttempts = (msg: string, retryAfterS: number): AppError =>
  new AppError('tooManyAttempts', msg, retryAfterS);

/** The success message of the envelope (the spec's examples use 成功). */
export const OK_MSG = '成功';

/**
 * Runs a request's independent checks and keeps every `invalid` they throw, so one answer names every bad field
 * (issue #17: a submit with five bad fields named only the first). Other errors (404, 409...) end it at once.
 */
export class InvalidFields {
  private readonly problems: string[] = [];

  check<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof AppError && err.kind === 'invalid') {
        this.problems.push(err.message);
        return undefined;
      }
      throw err;
    }
  }

  /** As check, for a check that reads the store. */
  async checkAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError && err.kind === 'invalid') {
        this.problems.push(err.message);
        return undefined;
      }
      throw err;
    }
  }

  /** The checked values once every check passed; otherwise one `invalid` listing every problem. */
  all<T extends Record<string, unknown>>(values: T): { [K in keyof T]: Exclude<T[K], undefined> } {
    if (this.problems.length > 0) throw invalid(this.problems.join('; '));
    for (const [k, v] of Object.entries(values))
      if (v === undefined) throw new Error(`check of ${k} gave nothing and no problem`);
    return values as { [K in keyof T]: Exclude<T[K], undefined> };
  }
}
