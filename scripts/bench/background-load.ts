// Background work during a campaign (issue 17.8, 17.10): CSV exports of a 300,000-row call log and 100,000-number
// do-not-call imports, sent by curl from its own processes (so the client's reading and writing is not in the APP
// figures), back to back until the campaign ends. campaign.ts --background starts it; it prints how long each took.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { signOf } from '../../src/api/auth.js';

export const BENCH_ACCOUNT = { account: 'bench', secret: 'bench-secret-0123456789abcdef' };

/** `n` finished calls of the project, as the export reads them (inserted directly: this is the setting, not the load). */
export function seedCallLogs(sqlite: Database, projectId: number, n: number): void {
  const now = Date.now();
  const ins = sqlite.prepare(
    `INSERT INTO call_logs (call_uuid, project_id, call_task_code, destination_number, caller_id_number,
       start_timestamp, end_timestamp, duration, billsec, result, result_detail, record_file, add_time, update_time)
     VALUES (?, ?, 'history', ?, '1001', ?, ?, 60, 55, 10, 55, ?, ?, ?)`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const at = now - (n - i) * 1000;
      const phone = `139${String(i).padStart(8, '0')}`;
      ins.run(`hist-${i}`, projectId, phone, at, at + 60_000, `/rec/2026/11/hist-${i}.wav`, at, at);
    }
  })();
}

function curl(args: string[]): Promise<{ ms: number; status: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => resolve({ ms: performance.now() - t0, status: out }));
  });
}

function signed(): string[] {
  const timestamp = String(Date.now());
  const sign = signOf(BENCH_ACCOUNT.account, timestamp, BENCH_ACCOUNT.secret);
  return ['-H', `account: ${BENCH_ACCOUNT.account}`, '-H', `timestamp: ${timestamp}`, '-H', `sign: ${sign}`];
}

export interface LoadReport {
  exports: { ms: number; status: string }[];
  imports: { ms: number; status: string }[];
}

/** Exports and imports back to back (import, then remove the same list) until `until` (epoch ms). */
export async function runBackgroundLoad(
  baseUrl: string,
  dncNumbers: number,
  until: number,
): Promise<LoadReport> {
  const csv = '/tmp/cc-bench-dnc.csv';
  writeFileSync(
    csv,
    `phone\r\n${Array.from({ length: dncNumbers }, (_, i) => `137${String(i).padStart(8, '0')}`).join('\r\n')}\r\n`,
  );
  const report: LoadReport = { exports: [], imports: [] };
  const exports = (async () => {
    while (Date.now() < until)
      report.exports.push(
        await curl([
          ...signed(),
          `${baseUrl}/callcenter/callLog/api/export/v1?queryTimeType=1&projectCode=bench`,
        ]),
      );
  })();
  const imports = (async () => {
    for (let i = 0; Date.now() < until; i++)
      report.imports.push(
        await curl([
          ...signed(),
          '-F',
          `file=@${csv}`,
          `${baseUrl}/callcenter/dnc/api/${i % 2 ? 'remove' : 'add'}/v1`,
        ]),
      );
  })();
  await Promise.all([exports, imports]);
  return report;
}

export const describeRuns = (runs: { ms: number; status: string }[]): string =>
  runs.length === 0
    ? 'none'
    : `${runs.length} (HTTP ${[...new Set(runs.map((r) => r.status))].join('/')}), ` +
      `${runs.map((r) => (r.ms / 1000).toFixed(1)).join(', ')} s each`;
