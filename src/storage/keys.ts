// Names of recordings: by day, then call id, so a directory listing is a day's calls and a key never collides.
// The same relative name is the local path under config.recordingsDir and the Qiniu key, which makes a recording
// easy to find in both. Dates are UTC unless an offset is given (e.g. +480 for China), so that the name does not
// depend on the server's TZ.
import { extname, join } from 'node:path';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026/11/23/<callId>.wav` for a call that started at `atMs`. */
export function recordingKey(callId: string, atMs: number, ext = 'wav', utcOffsetMinutes = 0): string {
  const d = new Date(atMs + utcOffsetMinutes * 60_000);
  const safeId = callId.replace(/[^A-Za-z0-9_.-]/g, '_');
  const e = ext.replace(/^\./, '') || 'wav';
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${safeId}.${e}`;
}

/** The file FreeSWITCH should record to: `<recordingsDir>/2026/11/23/<callId>.wav`. */
export function recordingPath(
  recordingsDir: string,
  callId: string,
  atMs: number,
  ext = 'wav',
  utcOffsetMinutes = 0,
): string {
  return join(recordingsDir, ...recordingKey(callId, atMs, ext, utcOffsetMinutes).split('/'));
}

/** The key for a recording FreeSWITCH already wrote (its extension kept: wav, mp3...). */
export const keyForFile = (callId: string, atMs: number, filePath: string, utcOffsetMinutes = 0): string =>
  recordingKey(callId, atMs, extname(filePath) || 'wav', utcOffsetMinutes);
