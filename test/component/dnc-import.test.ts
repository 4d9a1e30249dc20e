// Issue 17.10: do-not-call imports stream and yield. A CSV is checked as it arrives (a bad or 100,001st number is
// answered before the upload ends), the change is written in batches with turns of the event loop between them, and
// a batch that fails takes back the ones already written.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { FORM, form, startTestApp, type TestApp } from '../support/app.js';

const DNC = '/callcenter/dnc/api';
const numbers = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => String(13_000_000_000 + from + i));
const addJson = (ta: TestApp, path: string, list: string[]) =>
  ta.app.http.inject({
    method: 'POST',
    url: `${DNC}/${path}/v1`,
    headers: { ...ta.signed(), ...FORM },
    payload: form({ numbers: JSON.stringify(list) }),
  });
const listed = async (ta: TestApp) => (await ta.app.ctx.repos.dnc.page('', 0, 1)).total;

/**
 * Wraps the do-not-call store's writes (in place: the service holds the same object) so that each records the event
 * loop's turn, and the `failAt`th one throws.
 */
function watchWrites(ta: TestApp, failAt?: number) {
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const writes: number[] = [];
  const repo = ta.app.ctx.repos.dnc as unknown as Record<string, unknown>;
  const reads = new Set(['listed', 'has', 'page']);
  const originals = new Map<string, unknown>();
  for (const [key, value] of Object.entries(repo)) {
    if (typeof value !== 'function' || reads.has(key)) continue;
    originals.set(key, value);
    repo[key] = (...args: unknown[]) => {
      writes.push(turn);
      if (writes.length === failAt) throw new Error('disk I/O error (injected)');
      return (value as (...a: unknown[]) => unknown)(...args);
    };
  }
  return {
    writes,
    stop: () => {
      ticking = false;
      for (const [key, value] of originals) repo[key] = value;
    },
  };
}

t.test('100,000 numbers are listed in batches, each in its own turn of the event loop', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const w = watchWrites(ta);
  const r = await addJson(ta, 'add', numbers(100_000));
  w.stop();
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json().data, { added: 100_000, alreadyListed: 0 });
  t.equal(await listed(ta), 100_000);
  t.ok(w.writes.length >= 10, `written in ${w.writes.length} batches`);
  t.equal(
    w.writes.filter((at, i) => i > 0 && at === w.writes[i - 1]).length,
    0,
    'no two batches in one turn of the event loop',
  );
});

t.test('a batch that fails takes back the batches already written: add and remove', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  t.equal((await addJson(ta, 'add', numbers(1500, 50_000))).statusCode, 200);
  let w = watchWrites(ta, 3);
  let r = await addJson(ta, 'add', numbers(5000));
  w.stop();
  t.equal(r.statusCode, 500);
  t.not(r.json().reqResult.code, 1);
  t.equal(await listed(ta), 1500, 'none of the failed import is listed');

  w = watchWrites(ta, 2);
  r = await addJson(ta, 'remove', numbers(1500, 50_000));
  w.stop();
  t.equal(r.statusCode, 500);
  t.equal(await listed(ta), 1500, 'the removed batch is back');
  const back = (await ta.app.ctx.repos.dnc.page('', 0, 1))?.items[0];
  t.match(back, { phone: '13000050000' }, 'with its row as it was');
});

t.test('a CSV upload is refused at the first bad or 100,001st number, before the upload ends', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const b = '----cc-dnc';
  for (const [lines, msg] of [
    [[...numbers(10), 'not-a-number', ...numbers(10, 20)], /value 11 .* is not a phone number/],
    [numbers(100_001), /at most 100000 phone numbers/],
  ] as const) {
    // The body is never finished: an import that waited for the whole file would never answer.
    const body = new PassThrough();
    body.write(
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename="dnc.csv"\r\nContent-Type: text/csv\r\n\r\n`,
    );
    // Complete lines only: the last line of a piece is kept until its end arrives.
    body.write(`${lines.join('\r\n')}\r\n13900000000\r\n`);
    const r = await ta.app.http.inject({
      method: 'POST',
      url: `${DNC}/add/v1`,
      headers: { ...ta.signed(), 'content-type': `multipart/form-data; boundary=${b}` },
      payload: body,
    });
    body.destroy();
    t.equal(r.statusCode, 400, r.body);
    t.match(r.json().reqResult.msg, msg);
    t.equal(await listed(ta), 0, 'nothing listed');
  }
});
