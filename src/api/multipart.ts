// Multipart uploads (CSV files of numbers, voice files). Two rules for every route that takes them:
// - A body that does not parse (no boundary, cut short, a broken part header) is the client's mistake: busboy
//   reports it as a plain Error, which would otherwise end as a 500.
// - Bounds (issue #17): a CSV upload is no larger than any other request body (BODY_LIMIT_BYTES), a text field no
//   longer than MAX_FIELD_BYTES, and a field's value is never echoed in an answer (a 900,000-character projectCode
//   came back whole in the error message).
import type { MultipartValue } from '@fastify/multipart';
import { AppError, invalid } from '../core/errors.js';
import { BODY_LIMIT_BYTES } from './connection-limits.js';

/** The longest text field an upload carries (callListId, projectCode, voiceCode, note...). */
const MAX_FIELD_BYTES = 1024;

/** @fastify/multipart limits: one file of at most `fileSize` bytes, a few short fields. */
export const uploadLimits = (fileSize: number = BODY_LIMIT_BYTES) => ({
  files: 1,
  fields: 4,
  parts: 6,
  headerPairs: 20,
  fileSize,
  fieldSize: MAX_FIELD_BYTES,
});

/** A field's text, refused (without echoing it) when it was cut at MAX_FIELD_BYTES or is longer than `maxLength`. */
export function fieldText(part: MultipartValue, maxLength: number): string {
  const text = String(part.value);
  if (part.valueTruncated || text.length > maxLength)
    throw invalid(`${part.fieldname.slice(0, 64)} must be at most ${maxLength} characters`);
  return text;
}

/** Runs the reading of a multipart body; a parse failure becomes a 400, everything else stays as it was. */
export async function readingMultipart<T>(
  read: () => Promise<T>,
  fileLimitBytes: number = BODY_LIMIT_BYTES,
): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof AppError || !(err instanceof Error)) throw err;
    if ('code' in err && err.code === 'FST_REQ_FILE_TOO_LARGE')
      throw Object.assign(new Error(`file must be at most ${fileLimitBytes} bytes`), { statusCode: 413 });
    // fastify's and the multipart plugin's own errors carry their status (413 for too many parts); a system
    // error (disk full...) is ours, not the client's.
    if ('statusCode' in err || 'syscall' in err) throw err;
    throw invalid(`the multipart body is malformed: ${err.message}`);
  }
}
