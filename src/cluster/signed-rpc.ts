// Signed request/reply between two instances over the bus (bus.ts sendRpc/onRpc), with a timeout: what forward.ts
// sends an owner /app commands with, and forward-reads.ts a page's reads. Every message carries an HMAC-SHA256 of its whole content under a key derived
// from the cluster's socket secret (which every instance shares already, for the nodes' socket tokens) and a purpose
// label, so a client of the broker that is no instance of this cluster can neither ask nor answer; such a message is
// dropped and counted. Messages of other kinds, or addressed to another instance, are left to their handlers.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { RpcLink } from './bus.js';

interface SignedRpcDeps<A> {
  link: RpcLink;
  me: string;
  secret: string;
  /** Derives the signing key (one per use): `callcenter cluster <purpose>`. */
  purpose: string;
  /** The two messages' kinds and the field that carries each one's body (the wire format of that use). */
  wire: { request: { kind: string; field: string }; answer: { kind: string; field: string } };
  /** The request's fields to sign, in a fixed order; undefined when the value is not a request. */
  requestFields(v: unknown): unknown[] | undefined;
  /** The answer's fields to sign; undefined when the value is not an answer. */
  answerFields(v: unknown): unknown[] | undefined;
  clock: Clock;
  metrics: Metrics;
  /** Counter prefix, e.g. `cluster.reads`: `.forwarded`, `.served`, `.timedOut`, `.unsent`, `.forged`, `.pending`. */
  counters: string;
  log: { warn(obj: object, msg: string): void };
  timeoutMs: number;
  /** The answer while nothing serves the requests here yet. */
  unserved(): A;
}

interface Message {
  kind: string;
  id: string;
  from: string;
  to: string;
  body: unknown;
}

type Wire = Record<string, unknown> & {
  kind?: unknown;
  id?: unknown;
  from?: unknown;
  to?: unknown;
  sig?: unknown;
};

interface SignedRpc<Q, A> {
  /** Sends `body` to `instance`; resolves with its answer, or with `otherwise(why)` after the timeout / unsent. */
  ask(instance: string, body: Q, otherwise: (why: 'timeout' | 'unsent') => A): Promise<A>;
  /** Answers the requests addressed here (`failed`: the answer when `run` throws). */
  serve(run: (body: Q, from: string) => Promise<A>, failed: () => A): void;
}

const isString = (v: unknown): v is string => typeof v === 'string';

export function signedRpc<Q, A>(d: SignedRpcDeps<A>): SignedRpc<Q, A> {
  const { link, me, metrics, clock } = d;
  const { request, answer: reply } = d.wire;
  const key = createHmac('sha256', d.secret).update(`callcenter cluster ${d.purpose}`).digest();
  const pending = new Map<string, { settle(answer: A): void }>();
  let served: { run: (body: Q, from: string) => Promise<A>; failed: () => A } | undefined;
  for (const c of ['forwarded', 'served', 'timedOut', 'unsent', 'forged'])
    metrics.inc(`${d.counters}.${c}`, 0);
  metrics.gauge(`${d.counters}.pending`, () => pending.size);

  const fieldsOf = (m: Message) =>
    m.kind === request.kind ? d.requestFields(m.body) : d.answerFields(m.body);
  const sign = (m: Message, fields: unknown[]) =>
    createHmac('sha256', key)
      .update(JSON.stringify([m.kind, m.id, m.from, m.to, ...fields]))
      .digest();
  const send = (m: Message): boolean => {
    const { body, ...head } = m;
    const field = m.kind === request.kind ? request.field : reply.field;
    return link.sendRpc({ ...head, [field]: body, sig: sign(m, fieldsOf(m)!).toString('hex') });
  };

  function forged(why: string, from: string): void {
    metrics.inc(`${d.counters}.forged`);
    d.log.warn(
      { from, why, kind: d.purpose },
      'instance message refused: not signed by an instance of this cluster',
    );
  }

  async function answer(m: Message): Promise<void> {
    metrics.inc(`${d.counters}.served`);
    let body: A;
    try {
      body = served ? await served.run(m.body as Q, m.from) : d.unserved();
    } catch {
      body = served ? served.failed() : d.unserved();
    }
    send({ kind: reply.kind, id: m.id, from: me, to: m.from, body });
  }

  link.onRpc((message, sender) => {
    if (typeof message !== 'object' || message === null) return; // nobody's: bus.ts parsed JSON, not ours
    const w = message as Wire;
    if (w.kind !== request.kind && w.kind !== reply.kind) return; // another handler's business
    if (w.to !== me) return; // another instance's (every instance gets every message)
    if (!isString(w.id) || !isString(w.from) || !isString(w.sig)) return forged('malformed', sender);
    // The claimed sender is signed; the AMQP app id (which anyone with the broker's credentials sets) must agree.
    if (w.from !== sender) return forged('sender mismatch', sender);
    const m: Message = {
      kind: w.kind,
      id: w.id,
      from: w.from,
      to: me,
      body: w[w.kind === request.kind ? request.field : reply.field],
    };
    const fields = fieldsOf(m);
    if (!fields) return forged('malformed body', sender);
    const given = Buffer.from(w.sig, 'hex');
    const expected = sign(m, fields);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return forged('bad signature', sender);
    if (m.kind === request.kind) void answer(m);
    else pending.get(m.id)?.settle(m.body as A);
  });

  return {
    ask(instance, body, otherwise) {
      const id = randomBytes(12).toString('hex');
      return new Promise<A>((resolve) => {
        const settle = (a: A) => {
          if (!pending.delete(id)) return;
          timer.cancel();
          resolve(a);
        };
        const timer = clock.setTimer(d.timeoutMs, () => {
          metrics.inc(`${d.counters}.timedOut`);
          settle(otherwise('timeout'));
        });
        pending.set(id, { settle });
        if (!send({ kind: request.kind, id, from: me, to: instance, body })) {
          metrics.inc(`${d.counters}.unsent`);
          return settle(otherwise('unsent'));
        }
        metrics.inc(`${d.counters}.forwarded`);
      });
    },
    serve(run, failed) {
      served = { run, failed };
    },
  };
}
