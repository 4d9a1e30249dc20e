// uploadVoiceFile (spec 一.24): the business system stores a prompt in Qiniu and tells us its key and voiceCode;
// we fetch it once into config.voicesDir, where FreeSWITCH plays it (tasks with scheduleType 2/5, /app/playVoice).
// A voiceCode names one file for good: the same key again is a success (a retried request), another key a 409.
//
// Extension: the same endpoint takes a direct multipart/form-data upload (fields `voiceCode` and `file`, a .wav or
// .mp3), for deployments without Qiniu. Repeating it with identical bytes succeeds; different bytes are a 409.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import { fieldText, readingMultipart, uploadLimits } from '../multipart.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { conflict, invalid, notFound, unavailable } from '../../core/errors.js';
import type { VoicesRepo } from '../../db/repos/voices.js';
import { createQiniu } from '../../storage/qiniu.js';
import type { ApiContext } from '../context.js';
import { ok } from '../envelope.js';

export type VoicesContext = ApiContext & { repos: { voices: VoicesRepo } };

export const UPLOAD_VOICE_PATH = '/callcenter/callProject/api/uploadVoiceFile/v1';
const AUDIO = ['.wav', '.mp3'];
const MAX_VOICE_BYTES = 50 * 1024 * 1024;
/** How long the signed download URL stays valid; the fetch itself times out sooner. */
const DOWNLOAD_URL_TTL_S = 600;

/** A file name from a voiceCode: readable, safe on disk, and distinct for distinct codes. */
export function voiceFileName(voiceCode: string, ext: string): string {
  const safe = voiceCode.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  const tag = createHash('sha1').update(voiceCode).digest('hex').slice(0, 8);
  return `${safe}-${tag}${ext}`;
}

const audioExt = (name: string): string => {
  const ext = extname(name).toLowerCase();
  return AUDIO.includes(ext) ? ext : '.wav';
};

const sha256 = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

const fields = {
  type: 'object',
  required: ['qiniuStoreKey', 'voiceCode'],
  properties: {
    qiniuStoreKey: { type: 'string', minLength: 1, maxLength: 750 },
    voiceCode: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

export const voiceRoutes: FastifyPluginAsync<{ ctx: VoicesContext }> = async (app, { ctx }) => {
  const { voices } = ctx.repos;
  const qiniu = ctx.config.qiniu?.downloadDomain ? createQiniu(ctx.config.qiniu) : null;
  await app.register(multipart, { limits: uploadLimits(MAX_VOICE_BYTES) });

  async function fromQiniu(qiniuStoreKey: string, voiceCode: string): Promise<void> {
    if (!qiniu)
      throw unavailable(
        'Qiniu is not configured: set CC_QINIU_ACCESS_KEY, CC_QINIU_SECRET_KEY, CC_QINIU_BUCKET and ' +
          'CC_QINIU_DOWNLOAD_DOMAIN (or upload the file directly as multipart field "file")',
      );
    const existing = await voices.byCode(voiceCode);
    if (existing && existing.qiniuKey !== qiniuStoreKey)
      throw conflict(
        `voiceCode ${voiceCode} is already registered with ${existing.qiniuKey === null ? 'a directly uploaded file' : `qiniuStoreKey ${existing.qiniuKey}`}`,
      );
    if (existing && existsSync(existing.filePath)) return;
    const dest =
      existing?.filePath ?? join(ctx.config.voicesDir, voiceFileName(voiceCode, audioExt(qiniuStoreKey)));
    const deadline = Math.floor(ctx.clock.now() / 1000) + DOWNLOAD_URL_TTL_S;
    const got = await qiniu.download(qiniuStoreKey, dest, deadline, 120_000);
    if (!got.ok) {
      if (got.error === 'not-found')
        throw notFound(`qiniuStoreKey ${qiniuStoreKey} was not found in Qiniu bucket ${qiniu.bucket}`);
      throw unavailable(`could not fetch qiniuStoreKey ${qiniuStoreKey} from Qiniu: ${got.message}`);
    }
    if (existing) await voices.setFile(existing.id, dest, ctx.clock.now());
    else await voices.insert({ voiceCode, qiniuKey: qiniuStoreKey, filePath: dest }, ctx.clock.now());
  }

  /** Streams the multipart file to a temporary name, then registers it; the temporary file never survives. */
  async function fromUpload(req: FastifyRequest): Promise<void> {
    await mkdir(ctx.config.voicesDir, { recursive: true });
    const tmp = join(ctx.config.voicesDir, `.upload-${randomBytes(6).toString('hex')}`);
    try {
      let voiceCode: string | undefined;
      let filename: string | undefined;
      await readingMultipart(async () => {
        for await (const part of req.parts()) {
          if (part.type === 'field') {
            if (part.fieldname === 'voiceCode') voiceCode = fieldText(part, 64);
          } else if (part.fieldname === 'file') {
            filename = part.filename;
            await pipeline(part.file, createWriteStream(tmp));
            if (part.file.truncated) throw invalid(`file is larger than ${MAX_VOICE_BYTES} bytes`);
          } else part.file.resume();
        }
      }, MAX_VOICE_BYTES);
      if (!voiceCode) throw invalid('voiceCode is required');
      if (voiceCode.length > 64) throw invalid('voiceCode must be at most 64 characters');
      if (filename === undefined) throw invalid('qiniuStoreKey or a multipart field "file" is required');
      const ext = extname(filename).toLowerCase();
      if (!AUDIO.includes(ext))
        throw invalid(`file must be a ${AUDIO.join(' or ')} file, got "${filename.slice(0, 80)}"`);
      const existing = await voices.byCode(voiceCode);
      if (existing) {
        const same = existing.qiniuKey === null && existsSync(existing.filePath);
        if (same && (await sha256(existing.filePath)) === (await sha256(tmp))) return;
        throw conflict(`voiceCode ${voiceCode} is already registered with another file`);
      }
      const dest = join(ctx.config.voicesDir, voiceFileName(voiceCode, ext));
      await rename(tmp, dest);
      await voices.insert({ voiceCode, qiniuKey: null, filePath: dest }, ctx.clock.now());
    } finally {
      await rm(tmp, { force: true });
    }
  }

  app.post<{ Body: { qiniuStoreKey: string; voiceCode: string } }>(
    UPLOAD_VOICE_PATH,
    {
      schema: {
        summary: 'Register a voice prompt: fetch it from Qiniu by key, or take it as a multipart upload',
        tags: ['voice'],
        body: {
          content: {
            'application/x-www-form-urlencoded': { schema: fields },
            'application/json': { schema: fields },
          },
        },
      },
    },
    async (req) => {
      if (req.isMultipart()) await fromUpload(req);
      else await fromQiniu(req.body.qiniuStoreKey, req.body.voiceCode);
      return ok();
    },
  );
};
