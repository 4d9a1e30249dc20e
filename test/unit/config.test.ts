import { hostname } from 'node:os';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';

t.test(
  'embedded defaults: SQLite under ./data, HTTP 127.0.0.1:8080, outbound socket 127.0.0.1:8084',
  async (t) => {
    const c = loadConfig({});
    t.match(c, {
      http: { host: '127.0.0.1', port: 8080 },
      outboundSocket: { host: '127.0.0.1', port: 8084 },
      dbPath: './data/callcenter.db',
    });
    t.match(c.seedNode, {
      eslHost: '127.0.0.1',
      eslPort: 8021,
      eslPassword: 'ClueCon',
      maxSessions: 1000,
      sessionsPerSecond: 30,
    });
    t.equal(c.signWindowMs, 300_000);
    t.equal(c.qiniu, undefined);
  },
);

t.test('every default can be changed from the environment', async (t) => {
  const c = loadConfig({
    CC_HTTP_PORT: '9090',
    CC_SOCKET_PORT: '9084',
    CC_DATA_DIR: '/tmp/x',
    CC_FS_HOST: '10.0.0.5',
    CC_SIGN_WINDOW_MS: '60000',
  });
  t.match(c, {
    http: { port: 9090 },
    outboundSocket: { port: 9084 },
    dbPath: '/tmp/x/callcenter.db',
    signWindowMs: 60000,
  });
  t.match(c.seedNode, { eslHost: '10.0.0.5', wssUrl: 'wss://10.0.0.5:7443' });
});

t.test(
  'given CC_SOCKET_REACH_AT, FreeSWITCH is told that address while the socket listens where it did',
  async (t) => {
    t.equal(loadConfig({}).outboundSocket.reachAt, undefined);
    const c = loadConfig({ CC_SOCKET_HOST: '0.0.0.0', CC_SOCKET_REACH_AT: '10.0.0.7:8184' });
    t.same(c.outboundSocket, {
      host: '0.0.0.0',
      port: 8084,
      reachAt: { host: '10.0.0.7', port: 8184 },
      maxConnections: 2000,
      handshakeMs: 5000,
      allow: [],
    });
    t.throws(() => loadConfig({ CC_SOCKET_REACH_AT: '10.0.0.7' }), /CC_SOCKET_REACH_AT must be host:port/);
    t.throws(() => loadConfig({ CC_SOCKET_REACH_AT: 'h:70000' }), /CC_SOCKET_REACH_AT must be host:port/);
  },
);

t.test(
  "the event socket's limits, allowed peers and secret come from the environment (issue 17)",
  async (t) => {
    const d = loadConfig({});
    t.match(d.outboundSocket, { maxConnections: 2000, handshakeMs: 5000, allow: [] });
    t.equal(d.socketSecret, '', 'empty: main.ts keeps one in the data directory');
    const c = loadConfig({
      CC_SOCKET_MAX_CONNECTIONS: '300',
      CC_SOCKET_HANDSHAKE_MS: '2000',
      CC_SOCKET_ALLOW: '10.0.0.5, 10.0.0.6,',
      CC_SOCKET_SECRET: 'given',
    });
    t.match(c.outboundSocket, { maxConnections: 300, handshakeMs: 2000, allow: ['10.0.0.5', '10.0.0.6'] });
    t.equal(c.socketSecret, 'given');
    t.throws(
      () => loadConfig({ CC_SOCKET_MAX_CONNECTIONS: '0' }),
      /CC_SOCKET_MAX_CONNECTIONS must be an integer/,
    );
    t.throws(
      () => loadConfig({ CC_SOCKET_HANDSHAKE_MS: '10' }),
      /CC_SOCKET_HANDSHAKE_MS must be an integer between 50/,
    );
  },
);

t.test('bad settings are refused with the variable named', async (t) => {
  t.throws(
    () => loadConfig({ CC_HTTP_PORT: 'eighty' }),
    new ConfigError('CC_HTTP_PORT must be an integer between 0 and 65535, got "eighty"'),
  );
  t.throws(
    () => loadConfig({ CC_SEED_ACCOUNT: 'crm', CC_SEED_SECRET: 'short' }),
    /CC_SEED_SECRET must be at least 16/,
  );
  t.throws(() => loadConfig({ CC_QINIU_ACCESS_KEY: 'a' }), /Qiniu needs all of/);
});

t.test(
  'several instances (issue 20): the instance id and the RabbitMQ link are settings, checked',
  async (t) => {
    const alone = loadConfig({ CC_HTTP_PORT: '8090' });
    t.equal(alone.cluster.amqpUrl, undefined, 'no CC_AMQP_URL: the instance runs alone');
    t.equal(alone.cluster.instanceId, `${hostname()}:8090`, 'the default id is the host name and HTTP port');
    t.equal(alone.cluster.exchange, 'callcenter.stomp');
    const joined = loadConfig({
      CC_AMQP_URL: 'amqp://cc:pw@rabbit:5672/cc',
      CC_INSTANCE_ID: 'cc-2',
      CC_AMQP_EXCHANGE: 'site-a.stomp',
    });
    t.same(joined.cluster, {
      instanceId: 'cc-2',
      amqpUrl: 'amqp://cc:pw@rabbit:5672/cc',
      exchange: 'site-a.stomp',
      rebalance: true,
    });
    t.equal(loadConfig({ CC_REBALANCE: 'off' }).cluster.rebalance, false, 'CC_REBALANCE=off: no rebalancing');
    t.throws(() => loadConfig({ CC_REBALANCE: 'no' }), /CC_REBALANCE must be one of on, off/);
    t.throws(() => loadConfig({ CC_AMQP_URL: 'http://rabbit:5672' }), /CC_AMQP_URL must be amqp:\/\//);
    t.throws(() => loadConfig({ CC_INSTANCE_ID: 'a b' }), /CC_INSTANCE_ID must be 1-64 letters/);
    t.throws(() => loadConfig({ CC_INSTANCE_ID: 'x'.repeat(65) }), /CC_INSTANCE_ID must be 1-64/);
    t.throws(() => loadConfig({ CC_AMQP_EXCHANGE: 'a/b' }), /CC_AMQP_EXCHANGE must be/);
  },
);
