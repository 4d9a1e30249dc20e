// Issue #17 item 16: human-readable log lines on a terminal, JSON otherwise; one line per change of a node's
// reachability instead of one per retry.
import { Writable } from 'node:stream';
import t from 'tap';
import pino from 'pino';
import { prettyLogStream } from '../../src/api/log-output.js';
import { NodeReachability } from '../../src/switch/node-reachability.js';
import { loadConfig } from '../../src/config.js';

t.test('the log format: pretty on a terminal, JSON otherwise, CC_LOG_FORMAT decides when set', async (t) => {
  t.equal(loadConfig({}, true).logFormat, 'pretty');
  t.equal(loadConfig({}, false).logFormat, 'json');
  t.equal(loadConfig({ CC_LOG_FORMAT: 'json' }, true).logFormat, 'json');
  t.equal(loadConfig({ CC_LOG_FORMAT: 'pretty' }, false).logFormat, 'pretty');
  t.throws(
    () => loadConfig({ CC_LOG_FORMAT: 'xml' }, false),
    /CC_LOG_FORMAT must be one of auto, pretty, json/,
  );
});

t.test('pretty lines read as text: time, level, message, then the fields', async (t) => {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  });
  const log = pino({ level: 'info' }, prettyLogStream(sink, false));
  log.warn({ node: 'local', address: '127.0.0.1:8021' }, 'FreeSWITCH node local cannot be reached');
  t.match(out, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: FreeSWITCH node local cannot be reached\n/);
  t.match(out, /\n\s+node: "local"\n\s+address: "127\.0\.0\.1:8021"/);
  t.notMatch(out, /"level":/, 'not JSON');
});

t.test(
  'a node that never answers: one warning, then debug lines; back and lost: one line each',
  async (t) => {
    const lines: [string, string][] = [];
    const log = {
      debug: (_o: object, m: string) => void lines.push(['debug', m]),
      info: (_o: object, m: string) => void lines.push(['info', m]),
      warn: (_o: object, m: string) => void lines.push(['warn', m]),
    };
    const r = new NodeReachability({ name: 'local', eslHost: '127.0.0.1', eslPort: 8021 }, log);
    for (let i = 0; i < 5; i++) r.disconnected('connect ECONNREFUSED', 30_000);
    t.same(
      lines.map(([l]) => l),
      ['warn', 'debug', 'debug', 'debug', 'debug'],
    );
    t.match(
      lines[0]![1],
      'FreeSWITCH node local cannot be reached at 127.0.0.1:8021; retrying in the background',
    );
    t.notMatch(lines[0]![1], /lost/, 'never "lost" before it ever connected');
    lines.length = 0;
    r.connected();
    r.disconnected('socket closed', 1000);
    r.disconnected('connect ECONNREFUSED', 2000);
    r.connected();
    t.same(lines, [
      ['info', 'FreeSWITCH node local is reachable again'],
      ['warn', 'FreeSWITCH event socket lost (node local); reconnecting in the background'],
      ['debug', 'FreeSWITCH node still unreachable'],
      ['info', 'FreeSWITCH node local is reachable again'],
    ]);
    lines.length = 0;
    r.authFailed('-ERR invalid', 1000);
    r.authFailed('-ERR invalid', 2000);
    t.same(
      lines.map(([l]) => l),
      ['warn', 'debug'],
      'a refused password is told once per streak',
    );
  },
);
