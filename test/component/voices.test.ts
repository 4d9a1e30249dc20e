// uploadVoiceFile (spec 一.24) against the fake Qiniu, plus the direct multipart extension.
import { asyncRepo } from '../../src/db/repos/async.js';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import t from 'tap';
import { installEnvelopeHandlers } from '../../src/api/envelope.js';
import {
  UPLOAD_VOICE_PATH,
  voiceFileName,
  voiceRoutes,
  type VoicesContext,
} from '../../src/api/routes/voices.js';
import type { Config } from '../../src/config.js';
import { voicesRepo } from '../../src/db/repos/voices.js';
import { startTestApp, form, FORM } from '../support/app.js';
import { startFakeQiniu } from '../support/fake-qiniu.js';

const HELLO = Buffer.from('RIFF....WAVEhello');
const OTHER = Buffer.from('RIFF....WAVEother');

async function rig(t: { teardown(fn: () => unknown): void; testdir(): string }, overrides: Partial<Config>) {
  const ta = await startTestApp(overrides);
  const ctx: VoicesContext = {
    ...ta.app.ctx,
    repos: { ...ta.app.ctx.repos, voices: asyncRepo(voicesRepo(ta.store.db)) },
  };
  const http = Fastify({ logger: false });
  await http.register(formbody);
  installEnvelopeHandlers(http);
  await http.register(voiceRoutes, { ctx });
  await http.ready();
  t.teardown(async () => {
    await http.close();
    await ta.close();
  });
  const post = async (fields: Record<string, string>) => {
    const res = await http.inject({
      method: 'POST',
      url: UPLOAD_VOICE_PATH,
      headers: FORM,
      payload: form(fields),
    });
    return { status: res.statusCode, body: res.json() as { reqResult: { code: number; msg: string } } };
  };
  const upload = async (parts: { voiceCode?: string; file?: { name: string; body: Buffer } }) => {
    const boundary = '----cc-test-boundary';
    const chunks: Buffer[] = [];
    if (parts.voiceCode !== undefined)
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="voiceCode"\r\n\r\n${parts.voiceCode}\r\n`,
        ),
      );
    if (parts.file)
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${parts.file.name}"\r\n` +
            'Content-Type: audio/wav\r\n\r\n',
        ),
        parts.file.body,
        Buffer.from('\r\n'),
      );
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await http.inject({
      method: 'POST',
      url: UPLOAD_VOICE_PATH,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat(chunks),
    });
    return { status: res.statusCode, body: res.json() as { reqResult: { code: number; msg: string } } };
  };
  return { ctx, post, upload, http };
}

t.test('voices from Qiniu', async (t) => {
  const fake = await startFakeQiniu();
  t.teardown(() => fake.close());
  const voicesDir = join(t.testdir(), 'voices');
  const r = await rig(t, { voicesDir, qiniu: fake.config() });
  fake.files.set('prompts/welcome.wav', { body: HELLO, mimeType: 'audio/wav', putTime: 1 });
  const path = join(voicesDir, voiceFileName('welcome', '.wav'));

  await t.test('a key in Qiniu is fetched into the voices directory and registered', async (t) => {
    const res = await r.post({ qiniuStoreKey: 'prompts/welcome.wav', voiceCode: 'welcome' });
    t.same(res, { status: 200, body: { reqResult: { code: 1, msg: '成功' } } });
    t.same(readFileSync(path), HELLO);
    t.match(await r.ctx.repos.voices.byCode('welcome'), { qiniuKey: 'prompts/welcome.wav', filePath: path });
    t.same(fake.refusals, [], 'the private download URL was signed correctly');
  });

  await t.test('the same request again succeeds without fetching again', async (t) => {
    fake.files.delete('prompts/welcome.wav');
    const res = await r.post({ qiniuStoreKey: 'prompts/welcome.wav', voiceCode: 'welcome' });
    t.equal(res.status, 200);
  });

  await t.test('a lost local copy is fetched again by the same request', async (t) => {
    fake.files.set('prompts/welcome.wav', { body: HELLO, mimeType: 'audio/wav', putTime: 1 });
    rmSync(path);
    t.equal((await r.post({ qiniuStoreKey: 'prompts/welcome.wav', voiceCode: 'welcome' })).status, 200);
    t.ok(existsSync(path));
  });

  await t.test('the voiceCode with another key is a conflict naming the registered key', async (t) => {
    fake.files.set('prompts/other.wav', { body: OTHER, mimeType: 'audio/wav', putTime: 1 });
    const res = await r.post({ qiniuStoreKey: 'prompts/other.wav', voiceCode: 'welcome' });
    t.same(res, {
      status: 409,
      body: {
        reqResult: {
          code: 409,
          msg: 'voiceCode welcome is already registered with qiniuStoreKey prompts/welcome.wav',
        },
      },
    });
    t.same(readFileSync(path), HELLO, 'the registered file is untouched');
  });

  await t.test('a key that is not in Qiniu is a 404 naming it, and registers nothing', async (t) => {
    const res = await r.post({ qiniuStoreKey: 'prompts/missing.mp3', voiceCode: 'missing' });
    t.equal(res.status, 404);
    t.equal(
      res.body.reqResult.msg,
      'qiniuStoreKey prompts/missing.mp3 was not found in Qiniu bucket zprecord',
    );
    t.equal(await r.ctx.repos.voices.byCode('missing'), undefined);
  });

  await t.test('an mp3 key keeps its format; JSON bodies work too', async (t) => {
    fake.files.set('prompts/bye.mp3', { body: OTHER, mimeType: 'audio/mpeg', putTime: 1 });
    const res = await r.http.inject({
      method: 'POST',
      url: UPLOAD_VOICE_PATH,
      headers: { 'content-type': 'application/json' },
      payload: { qiniuStoreKey: 'prompts/bye.mp3', voiceCode: '再见' },
    });
    t.equal(res.statusCode, 200, res.body);
    const voice = await r.ctx.repos.voices.byCode('再见');
    t.match(
      voice?.filePath,
      /\/__-[0-9a-f]{8}\.mp3$/,
      'a non-ASCII code still gets a safe, distinct file name',
    );
    t.same(readFileSync(voice!.filePath), OTHER);
  });

  await t.test('missing fields are named', async (t) => {
    const res = await r.post({ qiniuStoreKey: 'prompts/welcome.wav' });
    t.same(res, { status: 400, body: { reqResult: { code: 400, msg: 'voiceCode is required' } } });
  });
});

t.test('without Qiniu settings the answer says which settings are missing', async (t) => {
  const r = await rig(t, { voicesDir: join(t.testdir(), 'voices'), qiniu: undefined });
  const res = await r.post({ qiniuStoreKey: 'prompts/welcome.wav', voiceCode: 'welcome' });
  t.equal(res.status, 503);
  t.match(
    res.body.reqResult.msg,
    /CC_QINIU_ACCESS_KEY, CC_QINIU_SECRET_KEY, CC_QINIU_BUCKET and CC_QINIU_DOWNLOAD_DOMAIN/,
  );
});

t.test('direct multipart uploads (extension)', async (t) => {
  const voicesDir = join(t.testdir(), 'voices');
  const r = await rig(t, { voicesDir, qiniu: undefined });

  await t.test('a wav with its voiceCode is stored and registered', async (t) => {
    const res = await r.upload({ voiceCode: 'hold-music', file: { name: 'hold.wav', body: HELLO } });
    t.equal(res.status, 200, res.body.reqResult.msg);
    const voice = await r.ctx.repos.voices.byCode('hold-music');
    t.match(voice, { qiniuKey: null, filePath: join(voicesDir, voiceFileName('hold-music', '.wav')) });
    t.same(readFileSync(voice!.filePath), HELLO);
  });

  await t.test('the same bytes again succeed; other bytes are a conflict', async (t) => {
    t.equal(
      (await r.upload({ voiceCode: 'hold-music', file: { name: 'again.wav', body: HELLO } })).status,
      200,
    );
    const res = await r.upload({ voiceCode: 'hold-music', file: { name: 'hold.wav', body: OTHER } });
    t.same(
      [res.status, res.body.reqResult.msg],
      [409, 'voiceCode hold-music is already registered with another file'],
    );
    t.same(readFileSync((await r.ctx.repos.voices.byCode('hold-music'))!.filePath), HELLO);
  });

  await t.test('bad uploads are refused and leave no file behind', async (t) => {
    const cases: [Parameters<typeof r.upload>[0], string][] = [
      [{ file: { name: 'x.wav', body: HELLO } }, 'voiceCode is required'],
      [{ voiceCode: 'x' }, 'qiniuStoreKey or a multipart field "file" is required'],
      [
        { voiceCode: 'x', file: { name: 'x.exe', body: HELLO } },
        'file must be a .wav or .mp3 file, got "x.exe"',
      ],
    ];
    for (const [parts, msg] of cases) {
      const res = await r.upload(parts);
      t.same([res.status, res.body.reqResult.msg], [400, msg]);
    }
    t.same(
      readdirSync(voicesDir).filter((f) => f.startsWith('.upload-')),
      [],
      'temporary files are removed',
    );
  });
});
