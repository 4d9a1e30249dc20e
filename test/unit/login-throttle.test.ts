import t from 'tap';
import { FakeClock } from '../../src/core/clock.js';
import { LoginThrottle } from '../../src/core/login-throttle.js';

t.test(
  'given repeated failures, the login and the address are locked out for a doubling while',
  async (t) => {
    const clock = new FakeClock(0);
    const th = new LoginThrottle(clock, {
      freeFailures: 3,
      baseLockMs: 1000,
      maxLockMs: 8000,
      forgetAfterMs: 60_000,
      maxEntries: 10,
    });
    for (let i = 0; i < 3; i++) {
      t.equal(th.lockedFor('1001', '10.0.0.1'), 0, `free failure ${i + 1}`);
      th.failed('1001', '10.0.0.1');
    }
    t.equal(th.lockedFor('1001', '10.0.0.1'), 1000, 'locked after the free failures');
    t.equal(th.lockedFor('1001', '10.0.0.9'), 1000, 'the login is locked from any address');
    t.equal(th.lockedFor('1002', '10.0.0.1'), 1000, 'and the address for any login');
    t.equal(th.lockedFor('1002', '10.0.0.9'), 0, 'others are not');
    clock.advance(1000);
    th.failed('1001', '10.0.0.1');
    t.equal(th.lockedFor('1001', '10.0.0.1'), 2000, 'each further failure doubles the lock');
    for (let i = 0; i < 10; i++) th.failed('1001', '10.0.0.1');
    t.equal(th.lockedFor('1001', '10.0.0.1'), 8000, 'up to the ceiling');
    th.succeeded('1001', '10.0.0.1');
    t.equal(th.lockedFor('1001', '10.0.0.1'), 0, 'a success clears both');
    for (let i = 0; i < 5; i++) th.failed('x', '10.0.0.2');
    clock.advance(61_000);
    t.equal(th.lockedFor('x', '10.0.0.2'), 0, 'old failures are forgotten');
    for (let i = 0; i < 50; i++) th.failed(`spray${i}`, `10.1.0.${i}`);
    t.equal(th.lockedFor('spray0', '10.1.0.0'), 0, 'the oldest records go first when the map is full');
  },
);
