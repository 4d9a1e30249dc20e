// The SDK's pure parts, in Node: how JsSIP causes become ours, when a call is auto-answered, which options are
// refused, and how hold/unhold requests queue behind a re-INVITE in progress.
import t from 'tap';
import { asksAutoAnswer } from '../../src/sdk/auto-answer.js';
import { callCause, callCauseMessage, registrationError } from '../../src/sdk/errors.js';
import { HoldQueue, type Reofferable, type Timers } from '../../src/sdk/hold-queue.js';
import { isDtmfTones, isProjectCode, optionsProblem } from '../../src/sdk/options.js';

t.test('JsSIP causes map to ours, by who ended the call', async (t) => {
  const table: Array<[string, 'local' | 'remote' | 'system', string]> = [
    ['Terminated', 'local', 'local-hangup'],
    ['Terminated', 'remote', 'remote-hangup'],
    ['Canceled', 'local', 'local-hangup'],
    ['Canceled', 'remote', 'canceled'],
    ['Busy', 'remote', 'busy'],
    ['Busy', 'local', 'declined'],
    ['Rejected', 'local', 'declined'],
    ['Rejected', 'remote', 'rejected'],
    ['Not Found', 'remote', 'not-found'],
    ['Address Incomplete', 'remote', 'not-found'],
    ['Unavailable', 'remote', 'unavailable'],
    ['Request Timeout', 'system', 'unavailable'],
    ['No Answer', 'local', 'no-answer'],
    ['User Denied Media Access', 'local', 'microphone-refused'],
    ['Connection Error', 'system', 'server-unreachable'],
    ['RTP Timeout', 'system', 'media-error'],
    ['Incompatible SDP', 'remote', 'media-error'],
    ['SIP Failure Code', 'remote', 'sip-error'],
  ];
  for (const [jssip, originator, ours] of table)
    t.equal(callCause(jssip, originator), ours, `${jssip} (${originator})`);
  t.match(callCauseMessage('microphone-refused'), /allow microphone access/i);
  t.match(callCauseMessage('busy', 486), /\(SIP 486\)$/);
});

t.test('registration failures say what to do', async (t) => {
  t.equal(registrationError('Authentication Error', 401).kind, 'wrong-password');
  t.match(registrationError('Authentication Error', 401).message, /password/);
  t.equal(registrationError('Connection Error').kind, 'server-unreachable');
  t.equal(registrationError('Request Timeout').kind, 'server-unreachable');
  const forbidden = registrationError('Rejected', 403);
  t.same([forbidden.kind, forbidden.statusCode], ['registration-rejected', 403]);
});

t.test('an incoming call is auto-answered only when the INVITE asks for it', async (t) => {
  const headers = (h: Record<string, string[]>) => (name: string) => h[name] ?? [];
  t.ok(asksAutoAnswer(headers({ 'X-CC-Auto-Answer': ['true'] })), 'X-CC-Auto-Answer: true');
  t.ok(asksAutoAnswer(headers({ 'X-CC-Auto-Answer': [' TRUE '] })), 'case and spaces do not matter');
  t.notOk(asksAutoAnswer(headers({ 'X-CC-Auto-Answer': ['false'] })), 'X-CC-Auto-Answer: false');
  t.ok(
    asksAutoAnswer(headers({ 'Call-Info': ['<sip:fs.example>;answer-after=0'] })),
    'Call-Info answer-after=0',
  );
  t.ok(
    asksAutoAnswer(headers({ 'Call-Info': ['<sip:fs>;answer-after=0;foo=1'] })),
    'answer-after=0 then more params',
  );
  t.notOk(
    asksAutoAnswer(headers({ 'Call-Info': ['<sip:fs>;answer-after=5'] })),
    'answer-after=5 lets the agent decide',
  );
  t.notOk(asksAutoAnswer(headers({ 'Call-Info': ['<sip:fs>;answer-after=05'] })), 'answer-after=05 is not 0');
  t.notOk(asksAutoAnswer(headers({})), 'no header');
});

t.test('options the SDK refuses, with the reason', async (t) => {
  const good = {
    authorizationUser: '1001',
    password: 'pw',
    wsServers: ['wss://pbx.example.com:7443'],
    uri: 'sip:1001@pbx.example.com',
    remoteVideoId: 'remote',
    localVideoId: 'local',
  };
  t.equal(optionsProblem(good), null);
  t.match(optionsProblem({ ...good, password: '' }), /password/);
  t.match(optionsProblem({ ...good, wsServers: [] }), /wsServers/);
  t.match(optionsProblem({ ...good, wsServers: ['http://x'] }), /not a ws/);
  t.match(optionsProblem({ ...good, uri: '1001@pbx' }), /SIP URI/);
  t.match(optionsProblem({ ...good, dtmfTransport: 'inband' }), /dtmfTransport/);
  t.match(optionsProblem({ ...good, registerExpires: 10 }), /registerExpires/);
  t.match(optionsProblem(null), /object/);
  t.ok(isDtmfTones('0123456789*#ABCD,'));
  t.notOk(isDtmfTones('12x'));
  t.ok(isProjectCode('p-01'));
  t.notOk(isProjectCode('p 01'));
});

/** A session whose re-INVITEs complete when the test says so. */
class FakeSession implements Reofferable {
  ended = false;
  ready = true;
  localHold = false;
  started: Array<{ hold: boolean; done: () => void }> = [];
  isEnded = () => this.ended;
  isEstablished = () => true;
  isReadyToReOffer = () => this.ready && !this.started.some((s) => s.done !== noop);
  isLocalHold = () => this.localHold;
  hold = (done: () => void) => this.start(true, done);
  unhold = (done: () => void) => this.start(false, done);
  private start(hold: boolean, done: () => void): boolean {
    if (!this.isReadyToReOffer() || this.localHold === hold) return false;
    this.localHold = hold;
    this.started.push({ hold, done });
    return true;
  }
  /** The re-INVITE in progress got its 200 OK. */
  complete(): void {
    const s = this.started.find((x) => x.done !== noop)!;
    const done = s.done;
    s.done = noop;
    done();
  }
}
const noop = () => undefined;

class ManualTimers implements Timers {
  due: Array<() => void> = [];
  set = (fn: () => void) => (this.due.push(fn), fn);
  clear = (h: unknown) => void (this.due = this.due.filter((f) => f !== h));
  fire(): void {
    const due = this.due;
    this.due = [];
    for (const f of due) f();
  }
}

t.test(
  'hold, unhold, hold requested at once run one after another, each after the previous re-INVITE',
  async (t) => {
    const s = new FakeSession();
    const q = new HoldQueue(s, new ManualTimers());
    const results = [q.request(true), q.request(false), q.request(true)];
    t.same(
      s.started.map((x) => x.hold),
      [true],
      'only the first re-INVITE starts',
    );
    s.complete();
    t.same(
      s.started.map((x) => x.hold),
      [true, false],
      'the unhold starts when the hold completed',
    );
    s.complete();
    s.complete();
    t.same(await Promise.all(results), [true, true, true]);
    t.same(
      s.started.map((x) => x.hold),
      [true, false, true],
    );
  },
);

t.test('given a re-INVITE from the other side in progress, a hold waits and retries', async (t) => {
  const s = new FakeSession();
  const timers = new ManualTimers();
  const q = new HoldQueue(s, timers, 100, 1000);
  s.ready = false;
  const held = q.request(true);
  t.equal(s.started.length, 0, 'nothing sent while not ready');
  timers.fire();
  t.equal(s.started.length, 0, 'still waiting');
  s.ready = true;
  timers.fire();
  t.equal(s.started.length, 1, 'sent once ready');
  s.complete();
  t.equal(await held, true);
});

t.test(
  'a request already satisfied succeeds at once; one that never becomes possible gives up',
  async (t) => {
    const s = new FakeSession();
    const timers = new ManualTimers();
    const q = new HoldQueue(s, timers, 100, 300);
    t.equal(await q.request(false), true, 'unhold of a call not on hold');
    s.ready = false;
    const held = q.request(true);
    for (let i = 0; i < 5; i++) timers.fire();
    t.equal(await held, false);
    t.equal(timers.due.length, 0, 'no timer left behind');
  },
);

t.test('when the call ends, queued and in-flight requests resolve false', async (t) => {
  const s = new FakeSession();
  const timers = new ManualTimers();
  const q = new HoldQueue(s, timers);
  const results = [q.request(true), q.request(false)];
  s.ended = true;
  q.cancel();
  t.same(await Promise.all(results), [false, false]);
  t.equal(await q.request(true), false, 'a request after the end fails too');
});
