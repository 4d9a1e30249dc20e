// The live tier's readers of FreeSWITCH listings fail closed: anything but the listing throws (#22.2).
import t from 'tap';
import { parseRegistrationListing, parseShowChannels } from '../support/fs-listings.js';

t.test('show channels as json: rows, an empty switch, and everything else refused', async (t) => {
  t.same(parseShowChannels('{"row_count":0}'), []);
  t.same(parseShowChannels('{"row_count":1,"rows":[{"uuid":"a"}]}'), [{ uuid: 'a' }]);
  for (const bad of ['', '-ERR no reply', '[ERROR] fs_cli.c:1679 main() Error Connecting []', '{}', 'null'])
    t.throws(() => parseShowChannels(bad), `refused: ${JSON.stringify(bad)}`);
  t.throws(() => parseShowChannels('{"row_count":2,"rows":[{"uuid":"a"}]}'), 'a row missing');
});

t.test('sofia status profile internal reg: the users listed, and everything else refused', async (t) => {
  const listing = (users: string[]) =>
    [
      '',
      'Registrations:',
      '='.repeat(97),
      ...users.flatMap((u) => [`Call-ID:    \tx`, `User:       \t${u}`, `Contact:    \t"" <sip:${u}>`, '']),
      `Total items returned: ${users.length}`,
      '='.repeat(97),
    ].join('\n');
  t.same(parseRegistrationListing(listing([])), []);
  t.same(parseRegistrationListing(listing(['1000@127.0.0.1', '1001@127.0.0.1'])), [
    '1000@127.0.0.1',
    '1001@127.0.0.1',
  ]);
  t.throws(() => parseRegistrationListing(''), 'fs_cli printed nothing');
  t.throws(() => parseRegistrationListing('Invalid Profile!\n'), 'no such profile');
  t.throws(() => parseRegistrationListing(listing(['1000@127.0.0.1']).replace('returned: 1', 'returned: 2')));
});
