// The upgrade router reads a plain request path without a URL object (issue 21: allocation per connection); every
// other target still goes through the URL parser, so routing sees exactly the pathname it saw before.
import t from 'tap';
import { pathnameOf } from '../../../src/stomp/transport/upgrade-router.js';

t.test('pathnameOf reads every request target as the URL parser does', async (t) => {
  const targets = [
    '/callcenter/ws',
    '/callcenter/ws?access_token=x&y=/../z',
    '/callcenter/ws/websocket',
    '/callcenter/ws/123/abc_d-e~/websocket',
    '/callcenter/ws/../ws',
    '/callcenter/ws/./websocket',
    '//evil.example/callcenter/ws',
    '/a//b',
    '/a%2Fb',
    '/a b',
    '/a\\b',
    '/é',
    'http://host/callcenter/ws',
    '/callcenter/ws#fragment',
    '/',
    '/?',
  ];
  for (const target of targets)
    t.equal(pathnameOf(target), new URL(target, 'http://localhost').pathname, target);
});
