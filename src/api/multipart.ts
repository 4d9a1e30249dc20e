// A multipart body that does not parse (no boundary, cut short, a broken part header) is the client's mistake:
// busboy reports it as a plain Error, which would otherwise end as a 500.
import { AppError, invalid } from '../core/errors.js';

/** Runs the reading of a multipart body; a parse failure becomes a 400, everything else stays as it was. */
export async function readingMultipart<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof AppError || !(err instanceof Error)) throw err;
    // fastify's and the multipart plugin's own errors carry their status (413 for a file too large); a system
    // error (disk full...) is ours, not the client's.
    if ('statusCode' in err || 'syscall' in err) throw err;
    throw invalid(`the multipart body is malformed: ${err.message}`);
  }
}
