// Our inbound link to a node caps frames too (issue 17.2): a peer on the node's address that never ends a header
// block, or announces a huge body, gets the link closed instead of our memory.
import { Duplex } from 'node:stream';
import t from 'tap';
import { FakeClock } from '../../../src/core/clock.js';
import { EslConnection } from '../../../src/esl/index.js';

/** A socket whose far end the test writes into. */
function pipe(): { socket: Duplex; send(b: Buffer | string): void } {
  const socket = new Duplex({
    read() {},
    write(_c, _e, cb) {
      cb();
    },
  });
  return { socket, send: (b) => socket.push(b) };
}

t.test('header bytes without a blank line close the link once past 64 KiB', async (t) => {
  const { socket, send } = pipe();
  const conn = new EslConnection(socket, { clock: new FakeClock() });
  const chunk = Buffer.alloc(16 * 1024, 'X');
  for (let i = 0; i < 8 && conn.isOpen; i++) {
    send(chunk);
    await new Promise((r) => setImmediate(r));
  }
  t.match(await conn.closed, { by: 'error', error: /header block longer than 65536 bytes/ });
  t.equal(conn.counters.oversizedFrames, 1);
  t.ok(socket.destroyed, 'the socket is dropped');
});

t.test('a Content-Length over the cap closes the link before the body comes', async (t) => {
  const { socket, send } = pipe();
  const conn = new EslConnection(socket, { clock: new FakeClock(), limits: { maxBodyBytes: 1000 } });
  send('Content-Type: api/response\nContent-Length: 1001\n\n');
  t.match(await conn.closed, { by: 'error', error: /Content-Length 1001 is over 1000 bytes/ });
});
