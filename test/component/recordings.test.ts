// Recordings: local file → uploads row → Qiniu (the fake, through the real SDK) → recordFileQiniu on the call log.
import { asyncRepo } from '../../src/db/repos/async.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FakeClock } from '../../src/core/clock.js';
import { openStore } from '../../src/db/database.js';
import { callLogsRepo, recordingUploadsRepo } from '../../src/db/repos/call-logs.js';
import { keyForFile, recordingKey, recordingPath } from '../../src/storage/keys.js';
import { createQiniu } from '../../src/storage/qiniu.js';
import { backoffDelay, MISSING_FILE_ATTEMPTS, RecordingUploader } from '../../src/storage/uploader.js';
import { startFakeQiniu, type FakeQiniu } from '../support/fake-qiniu.js';

const START = Date.UTC(2026, 10, 23, 8);
const WAV = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt recording bytes');

async function rig(t: { teardown(fn: () => unknown): void; testdir(): string }, fake?: FakeQiniu) {
  const qiniu = fake ?? (await startFakeQiniu());
  const store = openStore(':memory:');
  const clock = new FakeClock(START);
  const callLogs = callLogsRepo(store.db);
  const uploads = recordingUploadsRepo(store.db);
  const dir = t.testdir();
  const uploader = new RecordingUploader({
    store: createQiniu(qiniu.config()),
    uploads: asyncRepo(uploads),
    onUploaded: async (callUuid, ref, now) => callLogs.setQiniuRef(callUuid, ref, now),
    onMissing: async (callUuid, now) => callLogs.clearRecording(callUuid, now),
    clock,
    recordingsDir: dir,
  });
  t.teardown(async () => {
    await uploader.stop();
    store.close();
    await qiniu.close();
  });
  const recording = (callId: string) => {
    const path = join(dir, `${callId}.wav`);
    writeFileSync(path, WAV);
    callLogs.upsert(
      callId,
      { destinationNumber: '13800138000', recordFile: path, startTimestamp: START },
      START,
    );
    return path;
  };
  return { qiniu, clock, callLogs, uploads, uploader, dir, recording };
}

t.test('a finished recording is uploaded and its ref written on the call log', async (t) => {
  const r = await rig(t);
  const path = r.recording('call-1');
  r.uploader.start();
  r.uploader.enqueue('call-1', path, START);
  await r.uploader.idle();
  const key = '2026/11/23/call-1.wav';
  t.same(r.qiniu.files.get(key)?.body, WAV, 'the bytes arrive under the dated key');
  t.equal(r.callLogs.get('call-1')?.recordFileQiniu, `zprecord|${key}`);
  t.match(r.uploads.byCall('call-1'), { attempts: 0, doneAt: START, lastError: null });
  t.ok(existsSync(path), 'the local file is kept');
  t.same(r.qiniu.refusals, [], 'the upload token was accepted');
  t.equal(r.uploader.counters.uploaded, 1);
});

t.test('a failing upload is retried with exponential backoff until it succeeds', async (t) => {
  const r = await rig(t);
  const path = r.recording('call-2');
  // The SDK itself retries a 5xx once, so each failed upload() consumes two injected failures.
  r.qiniu.failNextUploads(4, 503);
  r.uploader.start();
  r.uploader.enqueue('call-2', path, START);
  await r.uploader.idle();
  t.match(r.uploads.byCall('call-2'), { attempts: 1, doneAt: null, nextAttemptAt: START + 30_000 });
  t.match(r.uploads.byCall('call-2')?.lastError, /503/);

  r.clock.advance(29_999);
  await r.uploader.idle();
  t.equal(r.uploads.byCall('call-2')?.attempts, 1, 'nothing before the delay');
  r.clock.advance(1);
  await r.uploader.idle();
  t.match(
    r.uploads.byCall('call-2'),
    { attempts: 2, nextAttemptAt: START + 30_000 + 60_000 },
    'the delay doubles',
  );

  r.clock.advance(60_000);
  await r.uploader.idle();
  t.match(r.uploads.byCall('call-2'), { attempts: 2, doneAt: START + 90_000, lastError: null });
  t.equal(r.callLogs.get('call-2')?.recordFileQiniu, 'zprecord|2026/11/23/call-2.wav');
  t.ok(existsSync(path), 'the local file is kept after retries too');
  t.equal(r.qiniu.uploadRequests, 5);
});

t.test('a recording whose file is missing waits and is uploaded once the file appears', async (t) => {
  const r = await rig(t);
  const path = join(r.dir, 'late.wav');
  r.callLogs.upsert('call-3', { destinationNumber: '1', recordFile: path }, START);
  r.uploader.start();
  r.uploader.enqueue('call-3', path, START);
  await r.uploader.idle();
  t.match(r.uploads.byCall('call-3'), { attempts: 1, lastError: `recording file ${path} does not exist` });
  t.equal(r.qiniu.uploadRequests, 0, 'nothing is sent for a missing file');
  writeFileSync(path, WAV);
  r.clock.advance(30_000);
  await r.uploader.idle();
  t.equal(r.callLogs.get('call-3')?.recordFileQiniu, 'zprecord|2026/11/23/call-3.wav');
});

t.test(
  'a recording that never appears (FreeSWITCH discarded it as empty) is given up, logged, and unnamed on the call log',
  async (t) => {
    const r = await rig(t);
    const path = join(r.dir, 'empty.wav');
    r.callLogs.upsert('call-e', { destinationNumber: '1', recordFile: path }, START);
    r.uploader.start();
    r.uploader.enqueue('call-e', path, START);
    for (let i = 0; i < 6; i++) {
      await r.uploader.idle();
      r.clock.advance(3_600_000);
    }
    await r.uploader.idle();
    t.match(r.uploads.byCall('call-e'), { attempts: MISSING_FILE_ATTEMPTS, lastError: /does not exist/ });
    t.equal(r.callLogs.get('call-e')?.recordFile, null, 'the call log no longer names the file');
    t.equal(r.qiniu.uploadRequests, 0);
  },
);

t.test('a failing upload is given up after maxAttempts, not retried forever', async (t) => {
  const r = await rig(t);
  const capped = new RecordingUploader({
    store: { upload: async () => ({ ok: false, error: 'qiniu says no' }) },
    uploads: asyncRepo(r.uploads),
    onUploaded: async () => undefined,
    clock: r.clock,
    recordingsDir: r.dir,
    maxAttempts: 4,
  });
  t.teardown(() => capped.stop());
  const path = r.recording('call-f');
  capped.start();
  capped.enqueue('call-f', path, START);
  for (let i = 0; i < 10; i++) {
    await capped.idle();
    r.clock.advance(3_600_000);
  }
  await capped.idle();
  t.equal(r.uploads.byCall('call-f')?.attempts, 4, 'four attempts, then no more');
});

t.test('a file outside the recordings directory is never uploaded, nor retried (a forged CDR)', async (t) => {
  const r = await rig(t);
  const elsewhere = mkdtempSync(join(tmpdir(), 'cc-outside-'));
  t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }));
  const outside = join(elsewhere, 'outside.wav');
  writeFileSync(outside, WAV);
  symlinkSync(outside, join(r.dir, 'link.wav'));
  r.uploader.enqueue('call-x', '/etc/passwd', START);
  r.uploader.enqueue('call-y', join(r.dir, ...Array<string>(30).fill('..'), outside), START);
  r.uploader.enqueue('call-z', join(r.dir, 'link.wav'), START);
  t.equal(await r.uploader.runDue(), 3);
  t.equal(r.qiniu.uploadRequests, 0, 'nothing left the machine');
  for (const id of ['call-x', 'call-y', 'call-z'])
    t.match(r.uploads.byCall(id), { doneAt: null, lastError: /is not under/ }, id);
  r.clock.advance(7 * 86_400_000);
  t.equal(await r.uploader.runDue(), 0, 'and they are not attempted again');
});

t.test('a wrong secret key is refused by Qiniu and recorded as the error', async (t) => {
  const fake = await startFakeQiniu();
  const r = await rig(t, fake);
  const bad = new RecordingUploader({
    store: createQiniu(fake.config({ secretKey: 'wrong' })),
    uploads: asyncRepo(r.uploads),
    onUploaded: async () => void t.fail('must not succeed'),
    clock: r.clock,
    recordingsDir: r.dir,
  });
  const path = r.recording('call-4');
  bad.enqueue('call-4', path, START);
  t.equal(await bad.runDue(), 1);
  t.match(r.uploads.byCall('call-4')?.lastError, /401.*signature mismatch/);
  t.same(fake.refusals, ['upload token signature mismatch']);
  t.equal(fake.files.size, 0);
});

t.test('enqueueing the same call twice queues it once; stop leaves no timer behind', async (t) => {
  const r = await rig(t);
  const path = r.recording('call-5');
  r.uploader.enqueue('call-5', path, START);
  r.uploader.enqueue('call-5', path, START);
  t.equal(r.uploads.due(START, 10).length, 1);
  t.equal(r.qiniu.uploadRequests, 0, 'a stopped uploader uploads nothing');
  r.uploader.start();
  await r.uploader.idle();
  t.equal(r.clock.pending(), 1, 'a running uploader keeps one timer (the poll)');
  await r.uploader.stop();
  t.equal(r.clock.pending(), 0);
  t.equal(r.qiniu.uploadRequests, 1);
});

t.test('many due recordings are all uploaded in one wake-up, batch after batch', async (t) => {
  const fake = await startFakeQiniu();
  const r = await rig(t, fake);
  const many = new RecordingUploader({
    store: createQiniu(fake.config()),
    uploads: asyncRepo(r.uploads),
    onUploaded: async (id, ref, now) => r.callLogs.setQiniuRef(id, ref, now),
    clock: r.clock,
    recordingsDir: r.dir,
    batch: 2,
  });
  for (const id of ['m1', 'm2', 'm3', 'm4', 'm5']) many.enqueue(id, r.recording(id), START);
  many.start();
  await many.idle();
  t.equal(fake.files.size, 5);
  await many.stop();
});

t.test('backoff doubles from the base delay and stops at the ceiling', async (t) => {
  t.same(
    [1, 2, 3, 4, 10].map((n) => backoffDelay(n, 30_000, 3_600_000)),
    [30_000, 60_000, 120_000, 240_000, 3_600_000],
  );
});

t.test('recordings are named by day and call id, on disk and in Qiniu alike', async (t) => {
  t.equal(recordingKey('abc-1', START), '2026/11/23/abc-1.wav');
  t.equal(
    recordingKey('abc-1', Date.UTC(2026, 10, 23, 20), 'mp3', 480),
    '2026/11/24/abc-1.mp3',
    'China time',
  );
  t.equal(recordingKey('a/../b', START), '2026/11/23/a_.._b.wav', 'a call id cannot leave its directory');
  t.equal(recordingPath('/var/rec', 'abc-1', START), '/var/rec/2026/11/23/abc-1.wav');
  t.equal(keyForFile('abc-1', START, '/x/y/rec.mp3'), '2026/11/23/abc-1.mp3', 'the file keeps its format');
});

t.test('the Qiniu store stats and downloads through signed requests', async (t) => {
  const fake = await startFakeQiniu();
  t.teardown(() => fake.close());
  const q = createQiniu(fake.config());
  fake.files.set('voices/hello.wav', { body: WAV, mimeType: 'audio/wav', putTime: 1 });
  t.match(await q.stat('voices/hello.wav'), { ok: true, size: WAV.length, mimeType: 'audio/wav' });
  t.match(await q.stat('voices/none.wav'), { ok: false, error: 'not-found' });
  const dir = t.testdir();
  const dest = join(dir, 'sub', 'hello.wav');
  t.same(await q.download('voices/hello.wav', dest, 4_000_000_000), { ok: true, bytes: WAV.length });
  t.same(readFileSync(dest), WAV);
  t.match(await q.download('voices/none.wav', join(dir, 'none.wav'), 4_000_000_000), {
    ok: false,
    error: 'not-found',
  });
  t.notOk(existsSync(join(dir, 'none.wav')), 'a failed download leaves no file');
  const forged = createQiniu(fake.config({ secretKey: 'forged' }));
  t.match(await forged.download('voices/hello.wav', join(dir, 'f.wav'), 4_000_000_000), {
    ok: false,
    error: 'failed',
  });
  t.same(fake.refusals, ['download token mismatch']);
});
