// Issue 17.1: the outbound event socket believes nobody. A local process speaking ESL at our socket plays
// FreeSWITCH as well as it can (it answers `connect` with a channel and +OK to everything after); whatever ids it
// names, it settles no number, rewrites no call log, logs no agent off and publishes nothing.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { socketToken } from '../../src/calls/leg-proof.js';
import { callLogs, taskNumbers } from '../../src/db/schema.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { addNumber, agentState, setTask } from './flows-support.js';

/** A fake leg: connects, answers connect with these channel headers, says +OK to every command. */
function fakeLeg(
  port: number,
  headers: Record<string, string>,
): Promise<{ sent: string; closedBy: 'server' }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let sent = '';
    let answered = false;
    socket.on('data', (d: Buffer) => {
      sent += d.toString();
      const commands = sent.split('\n\n').length - 1;
      if (!answered && sent.startsWith('connect\n\n')) {
        answered = true;
        // The reply's own headers as they are, the channel's URL-encoded (mod_event_socket's connect reply).
        const channel = Object.entries({
          'Event-Name': 'CHANNEL_DATA',
          'Channel-Call-State': 'ACTIVE',
          'Answer-State': 'answered',
          ...headers,
        }).map(([k, v]) => `${k}: ${encodeURIComponent(v)}`);
        const block = [
          'Content-Type: command/reply',
          'Reply-Text: +OK',
          'Socket-Mode: async',
          'Control: full',
          ...channel,
        ].join('\n');
        socket.write(`${block}\n\n`);
      } else if (answered && commands > 1) socket.write('Content-Type: command/reply\nReply-Text: +OK\n\n');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ sent, closedBy: 'server' }));
    setTimeout(() => reject(new Error(`the server kept the fake leg open; it sent:\n${sent}`)), 5000).unref();
  });
}

const leg = (vars: Record<string, string>, caller = '13900000000'): Record<string, string> => ({
  'Unique-ID': randomUUID(),
  'Caller-Caller-ID-Number': caller,
  'Caller-Destination-Number': '4001',
  ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [`variable_${k}`, v])),
});

async function world(t: Test) {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1, a2] = await h.project('psec', 2);
  const taskId = await h.task({ code: 'tsec', projectCode: 'psec', scheduleType: 1 });
  await setTask(h, taskId, { status: 1 }); // never started
  const numberId = await addNumber(h, taskId, '13900000001');
  const now = h.app.ctx.clock.now();
  const logged = h.store.db
    .insert(callLogs)
    .values({
      callUuid: randomUUID(),
      taskId,
      callTaskCode: 'tsec',
      destinationNumber: '13900000009',
      result: 10,
      resultDetail: 50,
      addTime: now,
      updateTime: now,
    })
    .returning()
    .get();
  let published = 0;
  const publish = h.app.broker.publish.bind(h.app.broker);
  h.app.broker.publish = (...args) => {
    published++;
    return publish(...args);
  };
  const snapshot = () => ({
    number: numberRow(h, numberId),
    logs: h.store.db.select().from(callLogs).all(),
    agents: [a1, a2].map((a) => agentState(h, a!)),
    published,
    live: h.app.runner.live.size,
  });
  return { h, a1: a1!, a2: a2!, numberId, logged, snapshot };
}

/** The whole row, read synchronously (this suite runs on SQLite only: its snapshots compare every column). */
const numberRow = (h: CallHarness, id: number) =>
  h.store.db.select().from(taskNumbers).where(eq(taskNumbers.id, id)).get();

const unproven = (h: CallHarness, why: string) => h.app.ctx.metrics.snapshot()[`socket.unproven.${why}`] ?? 0;

t.test('a fake leg naming a pending number of a task that never started settles nothing', async (t) => {
  const w = await world(t);
  const before = w.snapshot();
  const r = await fakeLeg(
    w.h.socketPort,
    leg({
      cc_call_id: randomUUID(),
      cc_role: 'customer',
      cc_flow: 'direct',
      cc_project: 'psec',
      cc_task: 'tsec',
      cc_number: '13900000001',
      cc_number_id: String(w.numberId),
    }),
  );
  t.match(r.sent, /sendmsg[\s\S]*hangup/, 'the leg is told to hang up');
  t.notMatch(r.sent, /myevents|linger|bridge|record_session/, 'and nothing else');
  t.equal(unproven(w.h, 'token'), 1, 'counted: no token');
  await new Promise((r) => setTimeout(r, 300));
  t.same(w.snapshot(), before, 'number, call logs, agents and topics untouched');
  t.equal(w.snapshot().number?.state, 'pending');
});

t.test('a fake leg reusing a stored call id does not rewrite that call log', async (t) => {
  const w = await world(t);
  const before = w.snapshot();
  await fakeLeg(
    w.h.socketPort,
    leg({
      cc_call_id: w.logged.callUuid,
      cc_role: 'customer',
      cc_flow: 'play',
      cc_task: 'tsec',
      cc_project: 'psec',
    }),
  );
  t.equal(unproven(w.h, 'token'), 1);
  await new Promise((r) => setTimeout(r, 300));
  t.same(w.snapshot(), before);
  t.same(
    w.h.store.db.select().from(callLogs).where(eq(callLogs.callUuid, w.logged.callUuid)).get(),
    w.logged,
    'the call log is as it was',
  );
});

t.test("an agent_logoff leg with an agent's caller id does not log the agent off", async (t) => {
  const w = await world(t);
  t.equal(agentState(w.h, w.a1)?.workStatus, 1, 'available before');
  const before = w.snapshot();
  await fakeLeg(w.h.socketPort, leg({ cc_role: 'agent', cc_flow: 'agent_logoff' }, w.a1));
  t.equal(unproven(w.h, 'token'), 1);
  await new Promise((r) => setTimeout(r, 300));
  t.same(w.snapshot(), before);
  t.equal(agentState(w.h, w.a1)?.workStatus, 1, 'still available');
});

t.test('even with the token, a leg cannot bring ids or an identity that are not its own', async (t) => {
  const w = await world(t);
  const token = socketToken(w.h.config.socketSecret, 'local');
  const before = w.snapshot();
  // An originate's leg we never announced (a replayed call id).
  await fakeLeg(
    w.h.socketPort,
    leg({
      cc_socket_token: token,
      cc_call_id: w.logged.callUuid,
      cc_role: 'customer',
      cc_flow: 'play',
      cc_task: 'tsec',
    }),
  );
  t.equal(unproven(w.h, 'unexpected-leg'), 1, 'an originated leg must be one we announced');
  // A dialplan leg carrying a number id.
  await fakeLeg(
    w.h.socketPort,
    leg({
      cc_socket_token: token,
      cc_role: 'customer',
      cc_flow: 'inbound',
      cc_number_id: String(w.numberId),
    }),
  );
  t.equal(unproven(w.h, 'forged-variables'), 1, 'a dialplan leg carries no originate variables');
  // A token of a node we do not have.
  await fakeLeg(
    w.h.socketPort,
    leg(
      {
        cc_socket_token: socketToken(w.h.config.socketSecret, 'other'),
        cc_role: 'agent',
        cc_flow: 'agent_logoff',
      },
      w.a1,
    ),
  );
  t.equal(unproven(w.h, 'token'), 1);
  await new Promise((r) => setTimeout(r, 300));
  t.same(w.snapshot(), before, 'nothing touched');
});

t.test(
  'an agent code is applied to the extension that authenticated, not to the caller id it sends',
  async (t) => {
    const w = await world(t);
    const token = socketToken(w.h.config.socketSecret, 'local');
    // The leg of extension a2 (user_name, set by sofia from the directory) sending a1's number as its caller id.
    const fake = fakeLeg(
      w.h.socketPort,
      leg({ cc_socket_token: token, cc_role: 'agent', cc_flow: 'agent_logoff', user_name: w.a2 }, w.a1),
    );
    await w.h.fs.waitFor(() => agentState(w.h, w.a2)?.workStatus === 0);
    t.equal(agentState(w.h, w.a1)?.workStatus, 1, 'the agent whose number was sent stays available');
    void fake.catch(() => undefined);
  },
);

t.test(
  'legs from the emulated switch prove themselves; a node configured without the token is refused',
  async (t) => {
    const h = await startCallHarness({ emulator: { socketToken: undefined } });
    t.teardown(h.close);
    const [a1] = await h.project('pold', 1);
    const uuid = h.fs.dialFromExtension(a1!, 'agent_logoff');
    t.ok(uuid);
    await h.fs.waitFor(() => unproven(h, 'token') === 1);
    await h.fs.waitFor(() => !h.fs.channels().some((c) => c.uuid === uuid));
    t.equal(agentState(h, a1!)?.workStatus, 1, 'a leg without the token changes nothing');
    const good = await startCallHarness();
    t.teardown(good.close);
    const [b1] = await good.project('pnew', 1);
    good.fs.dialFromExtension(b1!, 'agent_logoff');
    await good.fs.waitFor(() => agentState(good, b1!)?.workStatus === 0);
    t.equal(unproven(good, 'token'), 0, 'the configured dialplan carries the token');
  },
);
