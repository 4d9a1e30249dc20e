import t from 'tap';
import { FakeClock } from '../../src/core/clock.js';
import { LoginThrottle, type ThrottlePolicy } from '../../src/core/login-throttle.js';

const POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseLockMs: 1000,
  maxLockMs: 8000,
  freeAddressFailures: 4,
  baseDelayMs: 100,
  maxDelayMs: 400,
  forgetAfterMs: 60_000,
  maxEntries: 10,
};

t.test(
  'given repeated failures, the account is locked out for a doubling while, from any address',
  async (t) => {
    const clock = new FakeClock(0);
    const th = new LoginThrottle(clock, POLICY);
    for (let i = 0; i < 3; i++) {
      t.equal(th.gate('1001', '10.0.0.1').lockedMs, 0, `free failure ${i + 1}`);
      th.failed('1001', '10.0.0.1');
    }
    t.equal(th.gate('1001', '10.0.0.1').lockedMs, 1000, 'locked after the free failures');
    t.equal(th.gate('1001', '10.0.0.9').lockedMs, 1000, 'the account is locked from any address');
    t.equal(th.accountLockMs('1001'), 1000);
    clock.advance(1000);
    th.failed('1001', '10.0.0.1');
    t.equal(th.gate('1001', '10.0.0.1').lockedMs, 2000, 'each further failure doubles the lock');
    for (let i = 0; i < 10; i++) th.failed('1001', '10.0.0.1');
    t.equal(th.gate('1001', '10.0.0.1').lockedMs, 8000, 'up to the ceiling');
    th.succeeded('1001');
    t.equal(th.gate('1001', '10.0.0.1').lockedMs, 0, "a success clears the account's count");
    for (let i = 0; i < 5; i++) th.failed('x', '10.0.0.2');
    clock.advance(61_000);
    t.equal(th.gate('x', '10.0.0.2').lockedMs, 0, 'old failures are forgotten');
    for (let i = 0; i < 50; i++) th.failed(`spray${i}`, `10.1.0.${i}`);
    t.equal(th.gate('spray0', '10.1.0.0').lockedMs, 0, 'the oldest records go first when the map is full');
  },
);

t.test(
  "given failures for logins that do not exist from an address, another account's login from that address is only delayed, never locked",
  async (t) => {
    const clock = new FakeClock(0);
    const th = new LoginThrottle(clock, POLICY);
    for (let i = 0; i < 20; i++) th.failed(`nobody${i % 2}`, '127.0.0.1');
    const gate = th.gate('1002', '127.0.0.1');
    t.equal(gate.lockedMs, 0, 'account 1002 was never attacked: not locked');
    t.equal(gate.delayMs, 400, 'but its attempt from the failing address waits (capped)');
    t.same(th.gate('1002', '10.0.0.9'), { lockedMs: 0, delayMs: 0 }, 'other addresses are not slowed');
    t.equal(th.gate('nobody0', '10.0.0.9').lockedMs > 0, true, 'the attacked logins are locked');
    th.succeeded('1002');
    t.equal(th.gate('1002', '127.0.0.1').delayMs, 400, "one success does not clear the address's tarpit");
    t.equal(th.gate(undefined, '10.0.0.3').delayMs, 0);
    for (let i = 0; i < 4; i++) th.failed(undefined, '10.0.0.3');
    t.same(
      th.gate(undefined, '10.0.0.3'),
      { lockedMs: 0, delayMs: 100 },
      'no login: only the address counts',
    );
    t.equal(th.counters.failures, 24);
  },
);
