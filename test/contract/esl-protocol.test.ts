// Protocol facts checked against a real FreeSWITCH (FS_LIVE=1, FS_HOST, FS_PORT, FS_PASSWORD, and dial strings of
// three peers: FS_ANSWER_DIAL, FS_BUSY_DIAL, FS_NOANSWER_DIAL) or, by default, against the emulator. A live run
// without a peer's dial string fails that peer's test and names the variable: an originate never tried proves
// nothing.
import t from 'tap';
import { startEmulator } from '../freeswitch-emulator/index.js';
import { TestClient, get, isEvent } from '../freeswitch-emulator/test-client.js';

const live = process.env.FS_LIVE === '1';

async function target() {
  if (live) {
    return {
      host: process.env.FS_HOST ?? '127.0.0.1',
      port: Number(process.env.FS_PORT ?? 8021),
      password: process.env.FS_PASSWORD ?? 'ClueCon',
      dials: {
        answer: process.env.FS_ANSWER_DIAL,
        busy: process.env.FS_BUSY_DIAL,
        noAnswer: process.env.FS_NOANSWER_DIAL,
      },
      close: async () => undefined,
    };
  }
  const emu = await startEmulator({
    timeScale: 0.01,
    peers: { '15092': { kind: 'busy' }, '15093': { kind: 'no-answer' } },
  });
  return {
    host: emu.host,
    port: emu.port,
    password: emu.password,
    dials: {
      answer: 'sofia/external/15090@127.0.0.1',
      busy: 'sofia/external/15092@127.0.0.1',
      noAnswer: '{originate_timeout=2}sofia/external/15093@127.0.0.1',
    },
    close: () => emu.close(),
  };
}

async function authed(tg: Awaited<ReturnType<typeof target>>) {
  const c = await TestClient.connect(tg.port, tg.host);
  await c.next((f) => get(f, 'Content-Type') === 'auth/request');
  const r = await c.reply(`auth ${tg.password}`);
  if (get(r, 'Reply-Text') !== '+OK accepted') throw new Error('auth failed');
  return c;
}

t.test(
  'the switch asks for auth, accepts the password and answers api commands as api/response',
  async (t) => {
    const tg = await target();
    t.teardown(tg.close);
    const c = await authed(tg);
    const version = await c.reply('api version');
    t.same(
      version.headers.map(([k]) => k),
      ['Content-Type', 'Content-Length'],
    );
    t.match(version.body, /^FreeSWITCH Version /);
    t.equal((await c.reply('api no_such_command')).body, '-ERR no_such_command Command not found!\n');
    t.equal(get(await c.reply('bogus_command'), 'Reply-Text'), '-ERR command not found');
    t.equal(get(await c.reply('exit'), 'Reply-Text'), '+OK bye');
    const notice = await c.next();
    t.equal(get(notice, 'Content-Type'), 'text/disconnect-notice');
    t.equal(notice.body, 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n');
    await c.waitClosed();
  },
);

t.test('bgapi honours the client Job-UUID and BACKGROUND_JOB carries the result as its body', async (t) => {
  const tg = await target();
  t.teardown(tg.close);
  const c = await authed(tg);
  await c.reply('event plain BACKGROUND_JOB');
  const job = '7f4a6b1e-0000-4000-8000-000000000001';
  const r = await c.reply(`bgapi version\nJob-UUID: ${job}`);
  t.equal(get(r, 'Reply-Text'), `+OK Job-UUID: ${job}`);
  const bg = await c.next(isEvent('BACKGROUND_JOB'));
  t.equal(bg.event?.['Job-UUID'], job);
  t.match(bg.event?._body, /^FreeSWITCH Version/);
  c.close();
});

const outcomes = [
  ['answer', /^\+OK /],
  ['busy', /^-ERR USER_BUSY/],
  ['noAnswer', /^-ERR NO_ANSWER/],
] as const;

for (const [peer, expected] of outcomes) {
  t.test(`originate to the ${peer} peer reports ${expected}`, async (t) => {
    const tg = await target();
    t.teardown(tg.close);
    const dial = tg.dials[peer];
    if (!dial) {
      t.fail(
        `FS_LIVE=1 needs FS_${peer.toUpperCase()}_DIAL: the dial string of the ${peer} peer (its originate reports ${expected})`,
      );
      return;
    }
    const c = await authed(tg);
    await c.reply('event plain BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE');
    await c.reply(`bgapi originate ${dial} &park()`);
    const bg = await c.next(isEvent('BACKGROUND_JOB'), 15_000);
    t.match(bg.event?._body, expected);
    if (peer === 'answer') await c.reply(`api uuid_kill ${bg.event?._body?.slice(4).trim()}`);
    // Busy and unreachable put HANGUP_COMPLETE before BACKGROUND_JOB, so search everything received.
    await c.find(isEvent('CHANNEL_HANGUP_COMPLETE'), 15_000);
    c.close();
  });
}
