// CC_DATABASE_URL (issue 19): unset keeps SQLite; a PostgreSQL URL is taken as given; anything else fails at start-up
// with a message that names the variable and never repeats the password.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';

t.test('without CC_DATABASE_URL the store stays SQLite', async (t) => {
  t.equal(loadConfig({}).databaseUrl, undefined);
  t.equal(loadConfig({ CC_DATABASE_URL: '' }).databaseUrl, undefined);
});

t.test('a postgres:// or postgresql:// URL is the store', async (t) => {
  for (const url of [
    'postgres://cc:s3cret@db.example.com:5432/callcenter',
    'postgresql://cc:s3cret@10.0.0.9/callcenter?sslmode=require',
    'postgresql://cc:s3cret@localhost/callcenter?host=/var/run/postgresql',
  ])
    t.equal(loadConfig({ CC_DATABASE_URL: url }).databaseUrl, url);
});

t.test('another scheme, no database or no host is refused, without echoing the password', async (t) => {
  const cases: [string, RegExp][] = [
    ['mysql://cc:s3cret@db/callcenter', /CC_DATABASE_URL must be a PostgreSQL URL/],
    ['db.example.com:5432/callcenter', /CC_DATABASE_URL must be a PostgreSQL URL/],
    ['not a url s3cret', /CC_DATABASE_URL must be a PostgreSQL URL/],
    ['postgres://cc:s3cret@db.example.com:5432/', /CC_DATABASE_URL names no database/],
    ['postgres://cc:s3cret@db.example.com', /CC_DATABASE_URL names no database/],
    ['postgres:///callcenter', /CC_DATABASE_URL names no host/],
  ];
  for (const [url, message] of cases) {
    let err: unknown;
    try {
      loadConfig({ CC_DATABASE_URL: url });
    } catch (e) {
      err = e;
    }
    t.type(err, ConfigError, url);
    t.match((err as Error).message, message, url);
    t.notMatch((err as Error).message, /s3cret/, `${url}: the password is not in the message`);
  }
});
