// Qiniu Kodo through its official SDK. Hosts come from config (CC_QINIU_UPLOAD_URL, CC_QINIU_RS_URL,
// CC_QINIU_DOWNLOAD_DOMAIN) and are given to the SDK as a fixed zone, so it never asks Qiniu's region service
// (uc) where a bucket lives; tests point all three at a local fake. The upload URL's scheme decides http/https for
// the SDK's hosts (it has one switch for all of them).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat as statFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import qiniu from 'qiniu';
import type { QiniuConfig } from '../config.js';
import type { RecordingStore, UploadResult } from './recording-store.js';

type DownloadResult =
  { ok: true; bytes: number } | { ok: false; error: 'not-found' | 'failed'; message: string };

type StatResult =
  | { ok: true; size: number; hash: string; mimeType: string }
  | { ok: false; error: 'not-found' | 'failed'; message: string };

interface Qiniu extends RecordingStore {
  readonly bucket: string;
  stat(key: string): Promise<StatResult>;
  /** A signed private-bucket URL on the download domain, valid until `deadlineS` (epoch seconds). */
  downloadUrl(key: string, deadlineS: number): string;
  /** Fetches `key` into `destPath` (written to a temporary name first, so a failed fetch leaves nothing). */
  download(key: string, destPath: string, deadlineS: number, timeoutMs?: number): Promise<DownloadResult>;
}

const hostOf = (url: string): string => new URL(url).host;
const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Qiniu answers 612 "no such file or directory" from rs/stat for a missing key. */
const QINIU_NO_SUCH_KEY = 612;

export function createQiniu(cfg: QiniuConfig, opts: { uploadTokenTtlS?: number } = {}): Qiniu {
  const mac = new qiniu.auth.digest.Mac(cfg.accessKey, cfg.secretKey);
  const up = hostOf(cfg.uploadUrl);
  const rs = hostOf(cfg.rsUrl);
  const zone = new qiniu.conf.Zone([up], [up], rs, rs, rs, rs);
  const config = new qiniu.conf.Config({ useHttpsDomain: cfg.uploadUrl.startsWith('https:'), zone });
  const uploader = new qiniu.form_up.FormUploader(config);
  const buckets = new qiniu.rs.BucketManager(mac, config);
  const domain = cfg.downloadDomain.replace(/\/+$/, '');

  const downloadUrl = (key: string, deadlineS: number): string =>
    buckets.privateDownloadUrl(domain, key, deadlineS);

  return {
    bucket: cfg.bucket,

    async upload(localPath: string, key: string): Promise<UploadResult> {
      // Checked here because the SDK reports a missing file as a failed HTTP request, with a noisy log.
      const local = await statFile(localPath).catch(() => null);
      if (!local?.isFile()) return { ok: false, error: `recording file ${localPath} does not exist` };
      // A token per upload scoped to this key ("bucket:key"), so a leaked token can only overwrite this file.
      const policy = new qiniu.rs.PutPolicy({
        scope: `${cfg.bucket}:${key}`,
        expires: opts.uploadTokenTtlS ?? 3600,
      });
      try {
        const res = await uploader.putFile(
          policy.uploadToken(mac),
          key,
          localPath,
          new qiniu.form_up.PutExtra(),
        );
        if (res.ok()) return { ok: true, ref: `${cfg.bucket}|${key}` };
        const body = res.data as { error?: string } | undefined;
        return {
          ok: false,
          error: `Qiniu answered ${res.resp.statusCode}: ${body?.error ?? 'no reason given'}`,
        };
      } catch (err) {
        return { ok: false, error: `upload failed: ${describe(err)}` };
      }
    },

    async stat(key: string): Promise<StatResult> {
      try {
        const res = await buckets.stat(cfg.bucket, key);
        if (res.ok()) {
          const d = res.data as { fsize: number; hash: string; mimeType: string };
          return { ok: true, size: d.fsize, hash: d.hash, mimeType: d.mimeType };
        }
        const message = `Qiniu answered ${res.resp.statusCode} for ${key}`;
        return res.resp.statusCode === QINIU_NO_SUCH_KEY
          ? { ok: false, error: 'not-found', message }
          : { ok: false, error: 'failed', message };
      } catch (err) {
        return { ok: false, error: 'failed', message: describe(err) };
      }
    },

    downloadUrl,

    async download(key, destPath, deadlineS, timeoutMs = 60_000): Promise<DownloadResult> {
      if (!domain) return { ok: false, error: 'failed', message: 'CC_QINIU_DOWNLOAD_DOMAIN is not set' };
      const tmp = `${destPath}.part`;
      try {
        const res = await fetch(downloadUrl(key, deadlineS), { signal: AbortSignal.timeout(timeoutMs) });
        if (res.status === 404 || res.status === QINIU_NO_SUCH_KEY) {
          await res.body?.cancel();
          return { ok: false, error: 'not-found', message: `${key} does not exist in bucket ${cfg.bucket}` };
        }
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          return {
            ok: false,
            error: 'failed',
            message: `the download domain answered ${res.status} for ${key}`,
          };
        }
        await mkdir(dirname(destPath), { recursive: true });
        const out = createWriteStream(tmp);
        let bytes = 0;
        const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
        source.on('data', (chunk: Buffer) => (bytes += chunk.length));
        await pipeline(source, out);
        await rename(tmp, destPath);
        return { ok: true, bytes };
      } catch (err) {
        await rm(tmp, { force: true });
        return { ok: false, error: 'failed', message: `downloading ${key} failed: ${describe(err)}` };
      }
    },
  };
}
