// What a connected session does with SUBSCRIBE, UNSUBSCRIBE and SEND: access checks, the /app username check and
// the routing of SENDs. Every refusal is the session's `fail` (ERROR, then close).
import { TOPIC_PREFIX } from '../core/topics.js';
import type { Principal } from './access.js';
import { usernameOf } from './commands.js';
import type { StompFrame } from './frame.js';
import type { AckMode, SessionPort, Subscription } from './session-host.js';

const ACK_MODES: readonly string[] = ['auto', 'client', 'client-individual'];

export function subscribe(session: SessionPort, frame: StompFrame): void {
  const { destination, receipt } = frame.headers;
  const id = frame.headers.id ?? (session.version === '1.0' ? destination : undefined);
  const ack = frame.headers.ack ?? 'auto';
  if (!destination)
    return session.fail('missing destination', 'SUBSCRIBE needs a destination header', receipt);
  if (!id) return session.fail('missing id', 'SUBSCRIBE needs an id header', receipt);
  if (!ACK_MODES.includes(ack))
    return session.fail('invalid ack mode', `ack must be auto, client or client-individual`, receipt);
  for (const sub of session.subscriptions)
    if (sub.id === id)
      return session.fail('duplicate subscription id', `subscription ${id} already exists`, receipt);
  // Each subscription costs memory and one frame per publish: 50,000 of them made one sendToUser a 0.5 s stall.
  for (const sub of session.subscriptions)
    if (sub.destination === destination)
      return session.fail(
        'duplicate subscription',
        `${destination} is already subscribed (id ${sub.id})`,
        receipt,
      );
  const max = session.host.options.maxSubscriptions;
  if (session.subscriptions.length >= max)
    return session.fail('too many subscriptions', `a session may hold at most ${max} subscriptions`, receipt);
  const verdict = session.host.options.authorizeSubscribe(session.principal!, destination);
  if (verdict !== true) {
    session.host.counters.subscriptionsRefused++;
    return session.fail('subscription refused', verdict, receipt);
  }
  const sub: Subscription = { session, id, destination, ack: ack as AckMode };
  // concat of the object itself (not of a list of one): the new list at its size, and no list to throw away.
  session.subscriptions = session.subscriptions.concat(sub);
  session.host.subscribe(sub);
  session.receipt(frame);
}

export function unsubscribe(session: SessionPort, frame: StompFrame): void {
  const id = frame.headers.id ?? (session.version === '1.0' ? frame.headers.destination : undefined);
  if (!id) return session.fail('missing id', 'UNSUBSCRIBE needs an id header', frame.headers.receipt);
  const sub = session.subscriptions.find((s) => s.id === id);
  if (sub) {
    session.subscriptions = session.subscriptions.filter((s) => s !== sub);
    session.host.unsubscribe(sub);
  }
  session.receipt(frame);
}

export async function send(session: SessionPort, frame: StompFrame): Promise<void> {
  const { destination, receipt } = frame.headers;
  const principal = session.principal!;
  if (!destination) return session.fail('missing destination', 'SEND needs a destination header', receipt);
  if (frame.headers.transaction !== undefined)
    return session.fail(
      'transactions are not supported',
      'SEND inside a transaction is not supported',
      receipt,
    );
  if (destination.startsWith('/app/')) return command(session, frame, destination, principal);
  // Nobody publishes to /topic but the server, a service account neither: a forged invite or status frame would
  // look like ours to every agent (the operator's business system talks through the HTTP API and /app).
  session.host.counters.sendsRefused++;
  const why = destination.startsWith(TOPIC_PREFIX)
    ? 'only the server publishes to /topic destinations; send commands to /app/...'
    : `unknown destination ${destination}; commands go to /app/...`;
  session.fail('send refused', why, receipt);
}

async function command(
  session: SessionPort,
  frame: StompFrame,
  destination: string,
  principal: Principal,
): Promise<void> {
  const receipt = frame.headers.receipt;
  const username = usernameOf(frame.body);
  if (username !== undefined && !session.host.options.mayActAs(principal, username)) {
    session.host.counters.sendsRefused++;
    return session.fail(
      'send refused',
      `${principal.username} may not send ${destination} for username ${username}`,
      receipt,
    );
  }
  try {
    await session.host.options.onAppMessage(principal, destination, frame.body, frame.headers);
  } catch (err) {
    session.host.options.logger?.warn({ session: session.id, destination, err }, 'stomp /app handler threw');
    return session.fail('command failed', `${destination} could not be handled`, receipt);
  }
  session.receipt(frame);
}
