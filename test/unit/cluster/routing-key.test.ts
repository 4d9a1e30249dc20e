// Issue 20: STOMP destinations as AMQP topic routing keys. A name holding '.', '*' or '#' must not add words to a
// key or act as a wildcard, and no key may pass AMQP's 255-byte limit (RabbitMQ would close the channel).
import t from 'tap';
import { routingKeyOf } from '../../../src/cluster/routing-key.js';
import { Topics } from '../../../src/core/topics.js';

t.test('a destination is one word per path segment', async (t) => {
  t.equal(routingKeyOf(Topics.status('1001')), 'topic.status.1001');
  t.equal(routingKeyOf(Topics.notify('pa', '1001')), 'topic.notify.pa.1001');
});

t.test('dots, wildcards and the escape character itself are escaped inside a word', async (t) => {
  t.equal(routingKeyOf('/topic/status/a.b'), 'topic.status.a%2Eb', 'a dot does not split the username');
  t.equal(routingKeyOf('/topic/status/*'), 'topic.status.%2A', 'a star is no wildcard');
  t.equal(routingKeyOf('/topic/status/#'), 'topic.status.%23', 'a hash is no wildcard');
  t.equal(routingKeyOf('/topic/status/%2E'), 'topic.status.%252E', 'an escaped-looking name stays distinct');
  t.not(routingKeyOf('/topic/status/a.b'), routingKeyOf('/topic/status/a/b'), 'a.b and a/b differ');
  t.not(routingKeyOf('/topic/a//b'), routingKeyOf('/topic/a/b'), 'an empty segment is kept');
});

t.test('a key past 255 bytes becomes a digest of the destination, distinct per destination', async (t) => {
  const long = (c: string) => `/topic/status/${c.repeat(300)}`;
  const key = routingKeyOf(long('x'));
  t.match(key, /^%sha256\.[0-9a-f]{64}$/);
  t.equal(routingKeyOf(long('x')), key, 'the same destination, the same key');
  t.not(routingKeyOf(long('y')), key);
  t.ok(
    Buffer.byteLength(routingKeyOf(`/topic/status/${'路'.repeat(90)}`)) <= 255,
    'bytes are counted, not chars',
  );
  t.equal(
    routingKeyOf(`/topic/status/${'y'.repeat(242)}`).length,
    255,
    'up to 255 bytes a key is kept as is',
  );
  t.match(routingKeyOf(`/topic/status/${'y'.repeat(243)}`), /^%sha256\./, 'one byte more is digested');
});
