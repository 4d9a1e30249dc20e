// The live tier's lab, run inside a network namespace of its own (namespace-run.ts): a real FreeSWITCH started from
// a scratch copy of its vanilla configuration with scripts/freeswitch/configure.mjs applied, our server as a child
// process (so a scenario can kill -9 it), sipp as the carrier behind a gateway and as inbound callers, baresip as
// registered agent phones, and STOMP clients. Everything listens on 127.0.0.1 of the namespace, so the standard
// ports never collide with anything outside it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { EslRecorder } from './capture.js';
import { parseRegistrationListing, parseShowChannels } from '../support/fs-listings.js';
import { toneWav } from '../support/tones.js';
import { freshPgDatabase } from '../support/postgres.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const FS_PREFIX = process.env.FS_PREFIX ?? '/usr/local/freeswitch';
const FS_BIN = join(FS_PREFIX, 'bin/freeswitch');
const FS_VANILLA = join(FS_PREFIX, 'etc/freeswitch');

export const ACCOUNT = 'live';
export const SECRET = 'live-secret-0123456789abcdef';
export const FS_HTTP_SECRET = 'live-fs-http-secret-0123456789';
/** The server's socket secret; configure.mjs derives the node's cc_socket_token from it (issue 17.1). */
export const FS_SOCKET_SECRET = 'live-fs-socket-secret-0123456789';
export const CARRIER_PORT = 5090;
/** With capture on, our server reaches FreeSWITCH's 8021 and FreeSWITCH our 8084 through these recording proxies. */
const CAPTURE_ESL_PORT = 8121;
const CAPTURE_SOCKET_PORT = 8184;
/** The carrier gateway's code in every scenario. */
export const GW = 'carrier';

/** Why the live tier cannot run on this machine, or null. */
export function liveUnavailable(): string | null {
  if (!existsSync(FS_BIN)) return `no FreeSWITCH at ${FS_BIN} (scripts/freeswitch/build.sh builds it)`;
  for (const bin of ['sipp', 'baresip'])
    if (spawnSync('which', [bin]).status !== 0)
      return `${bin} is not installed (scripts/test-system-deps.txt)`;
  return null;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await sleep(everyMs);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export interface Proc {
  name: string;
  child: ChildProcess;
  out: string[];
}

export class Lab {
  readonly dir = mkdtempSync(join(tmpdir(), 'cc-live-'));
  readonly fsDir = join(this.dir, 'fs');
  readonly conf = join(this.fsDir, 'conf');
  readonly recordings = join(this.fsDir, 'recordings');
  readonly dataDir = join(this.dir, 'data');
  readonly procs: Proc[] = [];
  private fs?: Proc;
  private server?: Proc;
  private db?: Database.Database;
  /** CC_LIVE_STORE=pg: the server's PostgreSQL database (issue 19), one per lab, kept across server restarts. */
  pgUrl?: string;
  private recorders: EslRecorder[] = [];
  /** Where api() and upload() reach our server, and with what (the secure group: HTTPS trusting its test CA). */
  baseUrl = 'http://127.0.0.1:8080';
  fetcher: typeof fetch = fetch;
  private fsVersion = '';

  /**
   * `capture.dir`: record every event-socket connection there (capture.ts): the server is pointed at a proxy in
   * front of FreeSWITCH's 8021, FreeSWITCH's socket app (dialplan and originate) at a proxy in front of our 8084.
   */
  constructor(
    readonly log: (line: string) => void = () => {},
    private readonly capture?: { dir: string; group: string },
  ) {}

  private async startCapture(): Promise<void> {
    if (!this.capture || this.recorders.length) return;
    const header = () => [
      `FreeSWITCH ${this.fsVersion || '(version not yet known)'}`,
      `live group: ${this.capture!.group} (test/live/run.ts, CC_LIVE_CAPTURE)`,
      `recorded: ${new Date().toISOString()} by test/live/capture.ts`,
    ];
    this.recorders = [
      new EslRecorder(this.capture.dir, 'inbound', CAPTURE_ESL_PORT, 8021, header),
      new EslRecorder(this.capture.dir, 'outbound', CAPTURE_SOCKET_PORT, 8084, header),
    ];
    for (const r of this.recorders) await r.start();
  }

  /** A `### NOTE` in every open transcript (no-op without capture). */
  note(text: string): void {
    for (const r of this.recorders) r.note(text);
  }

  private spawn(
    name: string,
    cmd: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? root,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc: Proc = { name, child, out: [] };
    const file = join(this.dir, `${name}.out`);
    const keep = (d: Buffer) => {
      appendFileSync(file, d);
      for (const line of d.toString().split('\n')) if (line) proc.out.push(line);
      if (proc.out.length > 4000) proc.out.splice(0, proc.out.length - 4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.procs.push(proc);
    return proc;
  }

  // ---- FreeSWITCH ----

  /** Configures a scratch copy of the vanilla configuration (once) and starts FreeSWITCH on it. */
  async startFreeswitch(extraConfigure: string[] = []): Promise<void> {
    if (!existsSync(this.conf)) {
      for (const d of ['log', 'db', 'run', 'temp', 'storage', 'certs', 'cache', 'recordings', 'sounds'])
        mkdirSync(join(this.fsDir, d), { recursive: true });
      const r = spawnSync(
        process.execPath,
        [
          'scripts/freeswitch/configure.mjs',
          FS_VANILLA,
          this.conf,
          '--no-ipv6',
          '--quiet',
          '--mod-dir',
          join(FS_PREFIX, 'lib/freeswitch/mod'),
          '--sounds-dir',
          join(this.fsDir, 'sounds'),
          `cc_http_credentials=freeswitch:${FS_HTTP_SECRET}`,
          `cc_recordings_dir=${this.recordings}`,
          ...(this.capture ? [`cc_socket_port=${CAPTURE_SOCKET_PORT}`] : []),
          ...extraConfigure,
        ],
        { cwd: root, encoding: 'utf8', env: { ...process.env, CC_SOCKET_SECRET: FS_SOCKET_SECRET } },
      );
      if (r.status !== 0) throw new Error(`configure.mjs failed: ${r.stderr}${r.stdout}`);
    }
    const d = (n: string) => join(this.fsDir, n);
    this.fs = this.spawn('freeswitch', FS_BIN, [
      '-nf',
      '-nc',
      '-nonat',
      '-conf',
      this.conf,
      '-log',
      d('log'),
      '-db',
      d('db'),
      '-run',
      d('run'),
      '-temp',
      d('temp'),
      '-storage',
      d('storage'),
      '-certs',
      d('certs'),
      '-cache',
      d('cache'),
      '-recordings',
      this.recordings,
      '-sounds',
      d('sounds'),
    ]);
    await waitFor('FreeSWITCH event socket on 8021', () => portOpen(8021), 30_000, 200);
    await waitFor('sofia profiles', () => this.fsCli('sofia status').includes('external'), 15_000, 200);
    if (this.capture) {
      this.fsVersion = this.fsCli('version').trim();
      await this.startCapture();
    }
  }

  fsCli(command: string): string {
    const r = spawnSync(join(FS_PREFIX, 'bin/fs_cli'), ['-x', command], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return r.stdout ?? '';
  }

  /**
   * fs_cli -x, fail-closed: an fs_cli that could not run, connect or answer, or a `-ERR` reply, throws. Checks that
   * something is gone or absent read the switch through this, so that an unreadable switch fails the step.
   */
  fsQuery(command: string): string {
    const r = spawnSync(join(FS_PREFIX, 'bin/fs_cli'), ['-x', command], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const out = r.stdout ?? '';
    if (r.error || r.status !== 0 || r.signal || !out.trim() || /^-ERR/.test(out.trimStart()))
      throw new Error(
        `fs_cli -x '${command}' failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ${(out + (r.stderr ?? '')).trim().slice(0, 300)}`,
      );
    return out;
  }

  /** An fs_cli command that must answer +OK (uuid_kill, uuid_recv_dtmf, reload...). */
  fsCommand(command: string): string {
    const out = this.fsQuery(command);
    if (!/^\+OK/m.test(out))
      throw new Error(`fs_cli -x '${command}' did not answer +OK: ${out.trim().slice(0, 300)}`);
    return out;
  }

  /** `show channels as json`, fail-closed (test/support/fs-listings.ts). */
  channels(): Record<string, string>[] {
    return parseShowChannels(this.fsQuery('show channels as json'));
  }

  /** The users registered on a SIP profile (`1000@127.0.0.1`), fail-closed. */
  registeredUsers(profile = 'internal'): string[] {
    return parseRegistrationListing(this.fsQuery(`sofia status profile ${profile} reg`));
  }

  /**
   * While FreeSWITCH is stopped: deletes `username`'s rows from its registration database, as if the registration
   * had expired while it was down (sofia keeps registrations in that database across a restart). Returns how many.
   */
  dropStoredRegistration(username: string, profile = 'internal'): number {
    if (this.fs && this.fs.child.exitCode === null) throw new Error('FreeSWITCH is running');
    const file = join(this.fsDir, 'db', `sofia_reg_${profile}.db`);
    if (!existsSync(file)) throw new Error(`no ${file}: ${readdirSync(join(this.fsDir, 'db')).join(' ')}`);
    const db = new Database(file);
    try {
      return db.prepare('DELETE FROM sip_registrations WHERE sip_user = ?').run(username).changes;
    } finally {
      db.close();
    }
  }

  /** Our server's counters (GET /health): `esl.connects`, `esl.disconnects`... */
  async serverMetrics(): Promise<Record<string, number>> {
    const res = await fetch('http://127.0.0.1:8080/health');
    const body = (await res.json()) as { data?: { metrics?: Record<string, number> } };
    if (!body.data?.metrics) throw new Error(`/health has no metrics: ${JSON.stringify(body).slice(0, 300)}`);
    return body.data.metrics;
  }

  /** Stops FreeSWITCH: `shutdown` returns before the process is gone, so wait for the exit. */
  async stopFreeswitch(hard = false): Promise<void> {
    const fs = this.fs;
    if (!fs || fs.child.exitCode !== null) return;
    const exited = new Promise((r) => fs.child.once('exit', r));
    if (hard) fs.child.kill('SIGKILL');
    else this.fsCli('fsctl shutdown');
    await Promise.race([exited, sleep(15_000).then(() => fs.child.kill('SIGKILL'))]);
    await exited;
  }

  fsLog(): string {
    const file = join(this.fsDir, 'log/freeswitch.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  // ---- our server ----

  async startServer(extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    this.server = await this.launchServer('server', 8080, extraEnv);
  }

  /**
   * Starts one server process listening for HTTP on `httpPort` and waits for it; startServer's, or one instance of
   * several (cluster-lab.ts, which gives each its own ports and CC_INSTANCE_ID in `extraEnv`).
   */
  async launchServer(name: string, httpPort: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<Proc> {
    mkdirSync(this.dataDir, { recursive: true });
    await this.startCapture();
    const captureEnv = this.capture
      ? { CC_FS_PORT: String(CAPTURE_ESL_PORT), CC_SOCKET_REACH_AT: `127.0.0.1:${CAPTURE_SOCKET_PORT}` }
      : {};
    if (process.env.CC_LIVE_STORE === 'pg')
      this.pgUrl ??= await freshPgDatabase({ teardown: (fn) => this.onClose(async () => void (await fn())) });
    const server = this.spawn(name, process.execPath, ['--import=tsx', 'src/main.ts'], {
      env: {
        ...(this.pgUrl ? { CC_DATABASE_URL: this.pgUrl } : {}),
        CC_HTTP_PORT: String(httpPort),
        CC_DATA_DIR: this.dataDir,
        CC_SEED_ACCOUNT: ACCOUNT,
        CC_SEED_SECRET: SECRET,
        CC_FS_HTTP_SECRET: FS_HTTP_SECRET,
        CC_SOCKET_SECRET: FS_SOCKET_SECRET,
        CC_RECORDINGS_DIR: this.recordings,
        CC_VOICES_DIR: join(this.dataDir, 'voices'),
        CC_FS_DOMAIN: '127.0.0.1',
        CC_FS_WSS: 'ws://127.0.0.1:5066',
        CC_LOG_LEVEL: process.env.CC_LIVE_LOG ?? 'warn',
        // Short waits, so that timeouts are seen within a scenario.
        CC_AGENT_WAIT_S: '8',
        CC_QUEUE_TIMEOUT_S: '8',
        CC_AGENT_RING_S: '8',
        CC_CUSTOMER_RING_S: '6',
        CC_AGENT_FIRST_MAX_TRIES: '2',
        ...captureEnv,
        ...extraEnv,
      },
    });
    // A server that exits at start-up says why at once, instead of a 30 s wait for its port.
    const child = server.child;
    const out = server.out;
    let onExit: (code: number | null) => void = () => undefined;
    const exited = new Promise<never>((_, reject) => {
      onExit = (code) =>
        reject(new Error(`${name} exited (${code}) at start-up: ${out.slice(-15).join('\n')}`));
      child.once('exit', onExit);
    });
    const ready = waitFor(`${name} on ${httpPort}`, () => portOpen(httpPort), 30_000, 100);
    ready.catch(() => undefined); // when the exit wins, the port wait ends unheard
    try {
      await Promise.race([ready, exited]);
    } finally {
      child.off('exit', onExit);
    }
    return server;
  }

  /** kill -9 of our server: FreeSWITCH keeps its calls, the database keeps what was committed. */
  async killServer(): Promise<void> {
    const s = this.server;
    if (!s || s.child.exitCode !== null) return;
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGKILL');
    await exited;
    this.db?.close();
    this.db = undefined;
  }

  async stopServer(): Promise<void> {
    const s = this.server;
    if (!s || s.child.exitCode !== null) return;
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000).then(() => s.child.kill('SIGKILL'))]);
  }

  serverOutput(): string {
    return this.server?.out.join('\n') ?? '';
  }

  /**
   * The server's database, read-only (WAL: it sees every commit). On PostgreSQL through psql, synchronously as on
   * SQLite, with `?` bound as quoted literals (the scenarios' own values) and rows as JSON.
   */
  sql<T = Record<string, unknown>>(query: string, ...params: unknown[]): T[] {
    if (this.pgUrl) return psqlRows<T>(this.pgUrl, query, params);
    this.db ??= new Database(join(this.dataDir, 'callcenter.db'), { readonly: true, fileMustExist: true });
    return this.db.prepare(query).all(...params) as T[];
  }

  /** A signed API call (form body for POST, query for GET); returns the envelope. */
  async api(
    method: 'GET' | 'POST',
    path: string,
    fields: Record<string, string | number> = {},
    /** Another instance's base URL (cluster-lab.ts); this.baseUrl by default. */
    base = this.baseUrl,
  ): Promise<{ data?: unknown; reqResult: { code: number; msg: string } }> {
    const timestamp = String(Date.now());
    const sign = createHash('md5')
      .update(ACCOUNT + timestamp + SECRET)
      .digest('hex');
    const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
    const url = `${base}${path}${method === 'GET' && body ? `?${body}` : ''}`;
    const res = await this.fetcher(url, {
      method,
      headers: {
        account: ACCOUNT,
        timestamp,
        sign,
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: method === 'POST' ? body : undefined,
    });
    return (await res.json()) as { data?: unknown; reqResult: { code: number; msg: string } };
  }

  async ok<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    fields: Record<string, string | number> = {},
    base = this.baseUrl,
  ): Promise<T> {
    const r = await this.api(method, path, fields, base);
    if (r.reqResult.code !== 1) throw new Error(`${path}: ${r.reqResult.code} ${r.reqResult.msg}`);
    return r.data as T;
  }

  /** A signed multipart upload (uploadVoiceFile). */
  async upload(path: string, form: FormData): Promise<void> {
    const timestamp = String(Date.now());
    const sign = createHash('md5')
      .update(ACCOUNT + timestamp + SECRET)
      .digest('hex');
    const res = await this.fetcher(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { account: ACCOUNT, timestamp, sign },
      body: form,
    });
    const r = (await res.json()) as { reqResult: { code: number; msg: string } };
    if (r.reqResult.code !== 1) throw new Error(`${path}: ${r.reqResult.code} ${r.reqResult.msg}`);
  }

  // ---- peers ----

  /** The carrier: one sipp UAS behind gateway GW whose behaviour is chosen by the dialled number (sipp/carrier.xml). */
  startCarrier(): Proc {
    const p = this.spawn(
      'carrier',
      'sipp',
      [
        '-sf',
        join(root, 'test/live/sipp/carrier.xml'),
        '-i',
        '127.0.0.1',
        '-p',
        String(CARRIER_PORT),
        '-mi',
        '127.0.0.1',
        '-mp',
        '16000',
        '-rtp_echo',
        '-nostdin',
        '-trace_logs',
        '-log_file',
        join(this.dir, 'carrier.log'),
        '-aa', // answers the gateway's OPTIONS pings, as a carrier does (else FreeSWITCH marks it down after 30 s)
        '-trace_msg',
        '-message_file',
        join(this.dir, 'carrier.msg'),
      ],
      { cwd: this.dir },
    );
    return p;
  }

  /** What the carrier logged: one line per event, `<event> <number> <call-id>`. */
  carrierEvents(): { event: string; number: string; callId: string }[] {
    return readdirSync(this.dir)
      .filter((f) => /^(carrier|caller-\d+)\.log$/.test(f))
      .flatMap((f) => readFileSync(join(this.dir, f), 'utf8').split('\n'))
      .map((l) => /^CC (\S+) (\S+) (\S+)/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ event: m[1]!, number: m[2]!, callId: m[3]! }));
  }

  /** A caller from the carrier's side: calls `did` on FreeSWITCH's external profile and hangs up after holdMs. */
  callIn(did: string, from: string, holdMs: number, port: number): Promise<{ code: number; out: string }> {
    const xml = join(this.dir, `caller-${port}.xml`);
    writeFileSync(
      xml,
      readFileSync(join(root, 'test/live/sipp/caller.xml'), 'utf8').replace(
        /timeout="HOLD_MS"/,
        `timeout="${holdMs}"`,
      ),
    );
    const p = this.spawn(
      `caller-${port}`,
      'sipp',
      [
        '127.0.0.1:5080',
        '-sf',
        xml,
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-mi',
        '127.0.0.1',
        '-mp',
        String(port + 2000),
        '-s',
        did,
        '-set',
        'from',
        from,
        '-m',
        '1',
        '-nostdin',
        '-timeout',
        '120s',
        '-rtp_echo',
        '-trace_logs',
        '-log_file',
        join(this.dir, `caller-${port}.log`),
      ],
      { cwd: this.dir },
    );
    return new Promise((resolve) =>
      p.child.once('exit', (code) => resolve({ code: code ?? -1, out: p.out.join('\n') })),
    );
  }

  /** A baresip phone registered as `username` that answers every call by itself. */
  async startPhone(
    username: string,
    password: string,
    sipPort: number,
    answer: 'auto' | 'manual' = 'auto',
    /** The tone the phone sends (toneFile); baresip's sndfile module dumps what it hears to <dir>/dump-*-dec.wav. */
    toneHz = 440,
  ): Promise<Phone> {
    const dir = join(this.dir, `phone-${username}`);
    mkdirSync(dir, { recursive: true });
    const ctrl = sipPort + 5; // baresip takes sipPort+1 for SIP over TLS
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_transports udp',
        `audio_source aufile,${this.toneFile(toneHz)}`,
        'audio_player aufile,/dev/null',
        'audio_alert aufile,/dev/null',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module sndfile.so',
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrl}`,
        `snd_path ${dir}`,
        'rtp_ports 20000-29999',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${username}@127.0.0.1>;auth_pass=${password};answermode=${answer};regint=300;audio_codecs=PCMU\n`,
    );
    const proc = this.spawn(`phone-${username}`, 'baresip', ['-f', dir, '-n', '127.0.0.1', '-s'], {
      cwd: dir,
    });
    await waitFor(`baresip ${username} control port`, () => portOpen(ctrl), 10_000);
    return new Phone(username, ctrl, proc, dir);
  }

  /** A 60 s, 8 kHz tone (440 Hz: what the phones send; baresip's ausine only does 48 kHz). */
  toneFile(hz = 440): string {
    const file = join(this.dir, `tone-${hz}hz-8k.wav`);
    if (existsSync(file)) return file;
    writeFileSync(file, toneWav(hz, 60));
    return file;
  }

  private readonly closers: (() => Promise<void>)[] = [];

  /** Something a scenario started (a browser) to stop when the lab closes. */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.reverse()) await fn().catch(() => undefined);
    this.db?.close();
    for (const p of this.procs.reverse())
      if (p.child.exitCode === null && p !== this.fs) p.child.kill('SIGKILL');
    await this.stopFreeswitch(true);
    for (const r of this.recorders) await r.close();
    if (!process.env.CC_LIVE_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A baresip phone driven over ctrl_tcp (netstring JSON commands). */
export class Phone {
  constructor(
    readonly username: string,
    private readonly ctrlPort: number,
    readonly proc: Proc,
    readonly dir: string,
  ) {}

  command(command: string, params = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: this.ctrlPort });
      const json = JSON.stringify({ command, params, token: 't' });
      let got = '';
      s.on('connect', () => s.write(`${Buffer.byteLength(json)}:${json},`));
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('"response"')) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', reject);
      setTimeout(() => {
        s.destroy();
        resolve(got);
      }, 3000);
    });
  }

  /** Rejects every incoming call while it rings (baresip answers 486 to a hangup before answering). */
  rejectIncoming(): void {
    let seen = this.incomingCalls().length;
    this.proc.child.stdout?.on('data', () => {
      const now = this.incomingCalls().length;
      if (now > seen) void this.hangup();
      seen = now;
    });
  }

  /** The From header of each INVITE the phone received (baresip's SIP trace, -s): the caller id it shows. */
  incomingCalls(): string[] {
    const out = this.proc.out;
    const calls: string[] = [];
    for (let i = 0; i < out.length; i++) {
      if (!out[i]!.startsWith(`INVITE sip:${this.username}-`)) continue;
      const from = out.slice(i + 1, i + 15).find((l) => /^From:/i.test(l));
      calls.push(from ?? '');
    }
    return calls;
  }

  dial(target: string) {
    return this.command('dial', target);
  }

  hangup() {
    return this.command('hangup');
  }

  output(): string {
    return this.proc.out.join('\n');
  }

  /** The newest file of what the phone heard (baresip's sndfile dump of the decoded audio), or undefined. */
  heardFile(): string | undefined {
    return readdirSync(this.dir)
      .filter((f) => /^dump-.*-dec\.wav$/.test(f))
      .map((f) => join(this.dir, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  }
}

/** Rows of `query` on PostgreSQL (psql -At, json_agg): `?` placeholders become quoted literals. */
function psqlRows<T>(url: string, query: string, params: unknown[]): T[] {
  let i = 0;
  const bound = query.replace(/\?/g, () => {
    const v = params[i++];
    return v === null || v === undefined
      ? 'NULL'
      : typeof v === 'number'
        ? String(v)
        : `'${String(v).replace(/'/g, "''")}'`;
  });
  const r = spawnSync(
    'psql',
    ['-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', `SELECT coalesce(json_agg(q), '[]') FROM (${bound}) q`],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`psql: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T[];
}
