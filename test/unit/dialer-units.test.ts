// The dialer's units alone, without the dialer: the attempt book, calling windows and the agent split.
import t from 'tap';
import { AttemptBook, type Attempt, type Task } from '../../src/dialer/attempts.js';
import { TaskWindows } from '../../src/dialer/task-windows.js';
import { shareAgents } from '../../src/dialer/agent-share.js';
import { dialString } from '../../src/dialer/capacity.js';
import type { AgentEntry, AgentRegistry } from '../../src/agents/registry.js';
import type { Gateway } from '../../src/db/repos/gateways.js';

const task = (id: number, extra: Partial<Task> = {}) =>
  ({
    id,
    projectId: 1,
    callTaskCode: `T${id}`,
    scheduleType: 1,
    agentWeight: 1,
    callingWindow: null,
    ...extra,
  }) as Task;
const attempt = (callId: string, taskId: number, numberId: number, gatewayId = 1): Attempt => ({
  callId,
  task: task(taskId),
  gatewayId,
  numberId,
  phone: '13900000000',
  retries: 0,
  startedAt: 0,
  answered: false,
});

t.test('the attempt book follows a call from ringing to answered to ended', async (t) => {
  const book = new AttemptBook();
  const a = attempt('c1', 1, 11);
  book.originated(a);
  book.originated(attempt('c2', 2, 12, 2));
  book.holdLine('c3', { gatewayId: 1, taskId: 1, numberId: 13 });
  t.equal(book.ringing(1).length, 1);
  t.equal(book.inFlight(1), 2, 'a ringing call and an agent-first line');
  t.equal(book.linesOf(1, 1), 2);
  t.equal(book.customerLegs(), 2);
  t.ok(book.dials(13), 'the agent-first number is ours');
  book.answer(a, 500);
  t.equal(a.answeredAt, 500);
  t.equal(book.ringing(1).length, 0);
  t.equal(book.inFlight(1), 2, 'answered still counts');
  t.notOk(book.dropRinging('c1'), 'an answered call is not a failed attempt');
  t.equal(book.endAnswered('c1'), a);
  t.equal(book.releaseLine('c3')?.numberId, 13);
  t.equal(book.inFlight(1), 0);
  t.notOk(book.hasCalls(1));
  t.ok(book.hasCalls(2));
  t.ok(book.dropRinging('c2'));
  t.notOk(book.dials(12));
});

t.test('a calling window says when it opened and closed, once each', async (t) => {
  const turns: boolean[] = [];
  const windows = new TaskWindows((_task, open) => turns.push(open));
  // Monday to Sunday, 09:00-10:00 UTC.
  const window = JSON.stringify({
    timeZone: 'UTC',
    days: [1, 2, 3, 4, 5, 6, 7],
    hours: [[540, 600]],
    prefixTimeZones: [],
  });
  const day = Date.UTC(2026, 0, 5);
  const tk = task(1, { callingWindow: window });
  t.same(windows.check(tk, day + 8 * 3600_000), { open: false, changesAt: day + 9 * 3600_000 });
  t.same(turns, [false]);
  t.equal(windows.check(tk, day + 9 * 3600_000 + 1).open, true);
  t.equal(windows.check(tk, day + 9 * 3600_000 + 2).open, true);
  t.same(turns, [false, true], 'told once when it opened');
  t.equal(windows.check({ ...tk, callingWindow: null }, day + 11 * 3600_000).open, true);
  t.same(turns, [false, true], 'removing an open window is no turn');
});

t.test('the agent split leaves out a task with nothing due and no calls', async (t) => {
  const agent = (username: string): AgentEntry =>
    ({ username, type: 2, state: { workStatus: 1, regStatus: 1 } }) as unknown as AgentEntry;
  const agents = { ofProject: () => [agent('8001'), agent('8002')] } as unknown as AgentRegistry;
  const shares = shareAgents(
    { agents, hasDue: (id) => id === 1, hasCalls: () => false },
    'P1',
    [task(1), task(2), task(3, { scheduleType: 5 })],
    0,
  );
  t.equal(shares.get(1)?.length, 2, 'the task with numbers due gets both agents');
  t.equal(shares.get(2)?.length, 0, 'the finished task gets none');
  t.notOk(shares.has(3), 'play-only tasks need no agents');
});

t.test('numbers are dialled with the gateway prefix for their kind', async (t) => {
  const gw = {
    gwCode: 'gw1',
    realm: 'carrier.example',
    registerType: 1,
    mobilePhonePrefix: '9',
    fixedPhonePrefix: '0',
  } as Gateway;
  t.equal(dialString(gw, '13900000000'), 'sofia/gateway/gw1/913900000000');
  t.equal(dialString(gw, '02150000000'), 'sofia/gateway/gw1/002150000000');
  t.equal(
    dialString({ ...gw, registerType: 2 }, '13900000000'),
    'sofia/external/913900000000@carrier.example',
  );
});
