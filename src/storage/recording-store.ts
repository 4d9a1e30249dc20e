// Where finished recordings go besides the local disk (architecture §1: recordFileQiniu = "bucket|key"). One
// interface, so the uploader does not care whether the target is Qiniu or something else later.

export type UploadResult = { ok: true; ref: string } | { ok: false; error: string };

export interface RecordingStore {
  /** Uploads the file at `localPath` under `key`; `ref` is what call logs show (`bucket|key` for Qiniu). */
  upload(localPath: string, key: string): Promise<UploadResult>;
}
