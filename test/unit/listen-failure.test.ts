import t from 'tap';
import { listenFailureLine } from '../../src/core/listen-failure.js';

const target = {
  what: 'FreeSWITCH event socket',
  host: '10.0.0.1',
  port: 84,
  settings: 'CC_SOCKET_PORT / CC_SOCKET_HOST',
};
const err = (code: string, message = code) => Object.assign(new Error(message), { code });

t.test('each listen failure says where, why, and which setting to change', async (t) => {
  t.match(
    listenFailureLine(target, err('EADDRINUSE')),
    /10\.0\.0\.1:84 .*in use \(another callcenter may already be running\).*CC_SOCKET_PORT/,
  );
  t.match(listenFailureLine(target, err('EACCES')), /permission denied.*CC_SOCKET_PORT/);
  t.match(
    listenFailureLine(target, err('EADDRNOTAVAIL')),
    /10\.0\.0\.1 is not an address of this host.*CC_SOCKET_PORT/,
  );
  t.match(listenFailureLine(target, err('EOTHER', 'odd failure')), /odd failure\. Check CC_SOCKET_PORT/);
  t.notMatch(listenFailureLine(target, 'plain'), /\n/, 'one line');
});
