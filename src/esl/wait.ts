// One wait = one promise that settles exactly once: with the answer, on its time limit (via the injected Clock),
// on the caller's AbortSignal, or when its owner gives up (connection closed).
import type { Clock } from '../core/clock.js';
import { fail, type EslResult } from './result.js';

export type Settle<T> = (result: EslResult<T>) => void;

interface WaitSpec<T> {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly label: string;
  readonly onTimeout?: () => void;
  /** Registers the waiter (and sends, if it must) and returns how to unregister it. */
  readonly start: (settle: Settle<T>) => () => void;
}

export function waitFor<T>(spec: WaitSpec<T>): Promise<EslResult<T>> {
  if (spec.signal?.aborted) return Promise.resolve(fail('aborted', `${spec.label}: aborted before sending`));
  return new Promise((resolve) => {
    let done = false;
    let cleanup: (() => void) | undefined;
    const settle: Settle<T> = (result) => {
      if (done) return;
      done = true;
      timer.cancel();
      spec.signal?.removeEventListener('abort', onAbort);
      cleanup?.();
      resolve(result);
    };
    const onAbort = (): void => settle(fail('aborted', `${spec.label}: aborted`));
    const timer = spec.clock.setTimer(spec.timeoutMs, () => {
      spec.onTimeout?.();
      settle(fail('timeout', `${spec.label}: no answer within ${spec.timeoutMs} ms`));
    });
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const unregister = spec.start(settle);
    if (done) unregister();
    else cleanup = unregister;
  });
}
