// Every setting and its default lives here (architecture §2). main.ts reads the environment once through
// loadConfig; tests build a Config with testConfig() and override what they need.
import { hostname } from 'node:os';
import { EVENT_SOCKET_DEFAULT, OUTBOUND_SOCKET_DEFAULT } from './core/freeswitch.js';
import { trustedProxies } from './core/trusted-proxies.js';

export interface NodeSeed {
  name: string;
  eslHost: string;
  eslPort: number;
  eslPassword: string;
  wssUrl: string;
  nativeAddress: string;
  sipDomain: string;
  maxSessions: number;
  sessionsPerSecond: number;
}

export interface QiniuConfig {
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Upload host, e.g. https://up-z0.qiniup.com; tests point it at a local fake. */
  uploadUrl: string;
  /** Management/stat host (rs), e.g. https://rs-z0.qiniuapi.com. */
  rsUrl: string;
  /** Download domain used to fetch voice files by key, e.g. https://cdn.example.com. */
  downloadDomain: string;
}

export interface Config {
  http: { host: string; port: number };
  /**
   * CC_TLS_CERT / CC_TLS_KEY (PEM files): HTTP, STOMP and the pages are served over HTTPS/WSS, and main.ts re-reads
   * both files on SIGHUP. Browsers give a page the microphone only in a secure context.
   */
  tls?: { certFile: string; keyFile: string };
  /**
   * Where the outbound socket listens, and `reachAt`: the address the dialer puts in `socket(host:port …)` when
   * FreeSWITCH reaches us elsewhere (a proxy, NAT, a published container port, a 0.0.0.0 listener). Without it the
   * dialer uses the listening address.
   */
  outboundSocket: {
    host: string;
    port: number;
    reachAt?: { host: string; port: number };
    /** Open sockets at most (CC_SOCKET_MAX_CONNECTIONS); keep it above the nodes' max sessions combined. */
    maxConnections: number;
    /** A socket that has not answered `connect` within this is closed (CC_SOCKET_HANDSHAKE_MS). */
    handshakeMs: number;
    /**
     * Peer addresses allowed besides the nodes' ESL hosts (CC_SOCKET_ALLOW): a proxy or NAT in between, or
     * FreeSWITCH's address when its eslHost is a name. See calls/leg-proof.ts for when the address is checked.
     */
    allow: string[];
  };
  /**
   * The secret every node's socket token is derived from (calls/leg-proof.ts). Empty here means "not given":
   * main.ts then uses `<dataDir>/freeswitch-socket-secret`, generating it at first start.
   */
  socketSecret: string;
  dbPath: string;
  /**
   * CC_DATABASE_URL: a postgres:// or postgresql:// URL to keep the store in PostgreSQL instead of the SQLite file at
   * dbPath (issue 19); undefined = SQLite, the embedded default.
   */
  databaseUrl?: string;
  dataDir: string;
  recordingsDir: string;
  voicesDir: string;
  logLevel: string;
  /** Human-readable lines on a terminal, JSON otherwise (CC_LOG_FORMAT pretty | json | auto). */
  logFormat: LogFormat;
  /** How far a signed request's timestamp may be from our clock (spec 接口基础说明). */
  signWindowMs: number;
  /** Optional API account created at first start (only if it does not exist yet). */
  seedAccount?: { account: string; secret: string };
  /** The FreeSWITCH node seeded at first start when the node table is empty. */
  seedNode: NodeSeed;
  /**
   * The certificate FreeSWITCH serves on WSS (CC_FS_WSS_CERT, default CC_TLS_CERT: one host, one certificate).
   * Without CC_FS_WSS (`urlGiven` false) the seeded node's wss:// host is the certificate's first name; at every start
   * each node's address is checked against it (src/agents/softphone-address.ts).
   */
  fsWss: { certFile?: string; urlGiven: boolean };
  /**
   * mod_xml_curl / mod_xml_cdr credentials (HTTP basic, user `freeswitch`). Empty here means "not given": main.ts
   * then uses the one in `<dataDir>/freeswitch-http-secret`, generating it at first start; an app built with an
   * empty secret refuses those endpoints.
   */
  fsHttpSecret: string;
  /** Extra client IPs allowed on the FreeSWITCH-facing endpoints besides the nodes' ESL hosts. */
  fsHttpAllow: string[];
  /** Origins (https://crm.example.com) whose pages may use SockJS's HTTP transports with credentials. */
  stompOrigins: string[];
  /**
   * Addresses or networks (CIDR) of the proxies in front of the HTTP port (CC_TRUSTED_PROXIES): only a connection
   * from one of them is believed about the client's address (X-Forwarded-For). Empty: never believed.
   */
  trustedProxies: string[];
  qiniu?: QiniuConfig;
  pageSizeMax: number;
  /** First extension number handed out (extensions are numbered upwards from here, unique across nodes). */
  extensionStart: number;
  /** Call timings (seconds): how long customers wait and phones ring. */
  calls: {
    /** A predictive customer waiting for a free agent before resultDetail 35. */
    agentWaitSeconds: number;
    /** An inbound caller in the queue before resultDetail 40. */
    queueTimeoutSeconds: number;
    /** An agent's phone rings before the next agent is tried (32). */
    agentRingSeconds: number;
    /** A customer's phone rings before the call is given up (25). */
    customerRingSeconds: number;
  };
  /**
   * Answering-machine detection's audio (issue 23, README): FreeSWITCH binds `fsIp` and one port of `fsPorts` per
   * analysed call and streams the leg's audio over UDP to `host:port`, where we listen (0: any free port).
   */
  amd: { host: string; port: number; fsIp: string; fsPorts: [number, number] };
  /** Agent-first tasks: attempts whose agent never takes the call before the number is settled as 32 (issue 14.3). */
  agentFirstMaxTries: number;
  /** Caps on what one client may hold open (issue #17). */
  limits: {
    /** A request (headers and body) must have arrived within this; a trickled body is cut off with 408. */
    requestTimeoutMs: number;
    /** Open HTTP connections (WebSockets and SockJS streams included), in all and from one address. */
    maxConnections: number;
    maxConnectionsPerAddress: number;
    /** STOMP sessions one login (extension or API account) may hold at once. */
    stompSessionsPerUser: number;
  };
  /** Several instances side by side (issue 20). Without `amqpUrl` the instance runs alone, exactly as before. */
  cluster: ClusterConfig;
}

export interface ClusterConfig {
  /** CC_INSTANCE_ID: names this instance in the cluster, /health and /metrics (default host name and HTTP port). */
  instanceId: string;
  /** CC_AMQP_URL (amqp:// or amqps://): the RabbitMQ that carries STOMP frames between instances. */
  amqpUrl?: string;
  /** CC_AMQP_EXCHANGE: the topic exchange those frames go through (one per cluster sharing a vhost). */
  exchange: string;
  /**
   * CC_REBALANCE (`on` by default, `off`): whether this instance hands projects above its fair share to an instance
   * that has fewer (one joined, or came back after a restart). Unset in a config object: on.
   */
  rebalance?: boolean;
}

type Env = Record<string, string | undefined>;

export type LogFormat = 'pretty' | 'json';

/** CC_LOG_FORMAT: `pretty`, `json`, or `auto` (pretty on a terminal, JSON otherwise). */
export function resolveLogFormat(setting: string, stdoutIsTerminal: boolean): LogFormat {
  if (setting === 'pretty' || setting === 'json') return setting;
  return stdoutIsTerminal ? 'pretty' : 'json';
}

export class ConfigError extends Error {}

function proxyList(env: Env): string[] {
  const list = str(env, 'CC_TRUSTED_PROXIES', '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    trustedProxies(list);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return list;
}

function str(env: Env, key: string, def: string): string {
  const v = env[key];
  return v === undefined || v === '' ? def : v;
}

function int(env: Env, key: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${key} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A comma-separated list, blanks dropped. */
function list(env: Env, key: string): string[] {
  return str(env, key, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function oneOf(env: Env, key: string, allowed: string[]): string {
  const v = str(env, key, allowed[0]!);
  if (!allowed.includes(v))
    throw new ConfigError(`${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** `host:port`, or undefined when the variable is unset. */
/** `first-last` (inclusive), both 1-65535. */
function portRange(env: Env, key: string, def: [number, number]): [number, number] {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(raw.trim());
  const [first, last] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || first < 1 || last > 65535 || first > last)
    throw new ConfigError(`${key} must be a port range first-last (1-65535), e.g. 41000-41999`);
  return [first, last];
}

function hostPort(env: Env, key: string): { host: string; port: number } | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const m = /^([^\s:]+):(\d+)$/.exec(raw);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535)
    throw new ConfigError(`${key} must be host:port, got ${JSON.stringify(raw)}`);
  return { host: m[1]!, port };
}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function clusterConfig(env: Env, httpPort: number): ClusterConfig {
  const instanceId = str(env, 'CC_INSTANCE_ID', `${hostname()}:${httpPort}`);
  if (!INSTANCE_ID.test(instanceId))
    throw new ConfigError(
      `CC_INSTANCE_ID must be 1-64 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(instanceId)}`,
    );
  const amqpUrl = env.CC_AMQP_URL || undefined;
  if (amqpUrl !== undefined && !/^amqps?:\/\/[^\s]+$/.test(amqpUrl))
    throw new ConfigError('CC_AMQP_URL must be amqp://user:pass@host:5672/vhost (or amqps://)');
  const exchange = str(env, 'CC_AMQP_EXCHANGE', 'callcenter.stomp');
  if (!/^[A-Za-z0-9._:-]{1,127}$/.test(exchange))
    throw new ConfigError(`CC_AMQP_EXCHANGE must be 1-127 letters, digits, '.', '_', ':' or '-'`);
  const rebalance = oneOf(env, 'CC_REBALANCE', ['on', 'off']) === 'on';
  return { instanceId, amqpUrl, exchange, rebalance };
}

/** CC_DATABASE_URL, checked here so that a typo fails at start-up with a message, not at the first query. */
function databaseUrl(env: Env): string | undefined {
  const raw = env.CC_DATABASE_URL;
  return raw === undefined || raw === '' ? undefined : checkPostgresUrl(raw, 'CC_DATABASE_URL');
}

/** A postgres:// or postgresql:// URL naming a host and a database; the messages never repeat the password. */
export function checkPostgresUrl(raw: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const form = 'postgres://USER:PASSWORD@HOST:5432/DATABASE';
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol))
    throw new ConfigError(`${name} must be a PostgreSQL URL, ${form}`);
  if (!url.hostname && !url.searchParams.get('host'))
    throw new ConfigError(`${name} names no host (${form})`);
  if (url.pathname.length <= 1) throw new ConfigError(`${name} names no database (${form})`);
  return raw;
}

export function loadConfig(env: Env = process.env, stdoutIsTerminal = process.stdout.isTTY === true): Config {
  const dataDir = str(env, 'CC_DATA_DIR', './data');
  const seedAccount = env.CC_SEED_ACCOUNT
    ? { account: env.CC_SEED_ACCOUNT, secret: str(env, 'CC_SEED_SECRET', '') }
    : undefined;
  if (seedAccount && seedAccount.secret.length < 16)
    throw new ConfigError('CC_SEED_SECRET must be at least 16 characters when CC_SEED_ACCOUNT is set');
  const qiniuKeys = ['CC_QINIU_ACCESS_KEY', 'CC_QINIU_SECRET_KEY', 'CC_QINIU_BUCKET'];
  const qiniuSet = qiniuKeys.filter((k) => env[k]);
  if (qiniuSet.length > 0 && qiniuSet.length < qiniuKeys.length)
    throw new ConfigError(`Qiniu needs all of ${qiniuKeys.join(', ')}`);
  const fsHost = str(env, 'CC_FS_HOST', EVENT_SOCKET_DEFAULT.host);
  const tlsSet = ['CC_TLS_CERT', 'CC_TLS_KEY'].filter((k) => env[k]);
  const httpPort = int(env, 'CC_HTTP_PORT', 8080, 0, 65535);
  if (tlsSet.length === 1)
    throw new ConfigError('CC_TLS_CERT and CC_TLS_KEY go together: set both or neither');
  return {
    http: { host: str(env, 'CC_HTTP_HOST', '127.0.0.1'), port: httpPort },
    tls:
      tlsSet.length === 2
        ? { certFile: env.CC_TLS_CERT as string, keyFile: env.CC_TLS_KEY as string }
        : undefined,
    outboundSocket: {
      host: str(env, 'CC_SOCKET_HOST', OUTBOUND_SOCKET_DEFAULT.host),
      port: int(env, 'CC_SOCKET_PORT', OUTBOUND_SOCKET_DEFAULT.port, 0, 65535),
      reachAt: hostPort(env, 'CC_SOCKET_REACH_AT'),
      maxConnections: int(env, 'CC_SOCKET_MAX_CONNECTIONS', 2000, 1, 1_000_000),
      handshakeMs: int(env, 'CC_SOCKET_HANDSHAKE_MS', 5000, 50, 60_000),
      allow: list(env, 'CC_SOCKET_ALLOW'),
    },
    socketSecret: str(env, 'CC_SOCKET_SECRET', ''),
    dataDir,
    dbPath: str(env, 'CC_DB_PATH', `${dataDir}/callcenter.db`),
    databaseUrl: databaseUrl(env),
    recordingsDir: str(env, 'CC_RECORDINGS_DIR', '/var/lib/freeswitch/recordings'),
    voicesDir: str(env, 'CC_VOICES_DIR', `${dataDir}/voices`),
    logLevel: str(env, 'CC_LOG_LEVEL', 'info'),
    logFormat: resolveLogFormat(oneOf(env, 'CC_LOG_FORMAT', ['auto', 'pretty', 'json']), stdoutIsTerminal),
    signWindowMs: int(env, 'CC_SIGN_WINDOW_MS', 5 * 60_000, 1000),
    seedAccount,
    seedNode: {
      name: str(env, 'CC_FS_NAME', 'local'),
      eslHost: fsHost,
      eslPort: int(env, 'CC_FS_PORT', EVENT_SOCKET_DEFAULT.port, 1, 65535),
      eslPassword: str(env, 'CC_FS_PASSWORD', EVENT_SOCKET_DEFAULT.password),
      wssUrl: str(env, 'CC_FS_WSS', `wss://${fsHost}:7443`),
      nativeAddress: str(env, 'CC_FS_NATIVE', `${fsHost}:5060`),
      sipDomain: str(env, 'CC_FS_DOMAIN', fsHost),
      maxSessions: int(env, 'CC_FS_MAX_SESSIONS', 1000, 1),
      sessionsPerSecond: int(env, 'CC_FS_SPS', 30, 1),
    },
    fsWss: {
      certFile: env.CC_FS_WSS_CERT || env.CC_TLS_CERT || undefined,
      urlGiven: Boolean(env.CC_FS_WSS),
    },
    fsHttpSecret: str(env, 'CC_FS_HTTP_SECRET', ''),
    fsHttpAllow: str(env, 'CC_FS_HTTP_ALLOW', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    stompOrigins: str(env, 'CC_STOMP_ORIGINS', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustedProxies: proxyList(env),
    qiniu:
      qiniuSet.length === qiniuKeys.length
        ? {
            accessKey: env.CC_QINIU_ACCESS_KEY as string,
            secretKey: env.CC_QINIU_SECRET_KEY as string,
            bucket: env.CC_QINIU_BUCKET as string,
            uploadUrl: str(env, 'CC_QINIU_UPLOAD_URL', 'https://up-z0.qiniup.com'),
            rsUrl: str(env, 'CC_QINIU_RS_URL', 'https://rs-z0.qiniuapi.com'),
            downloadDomain: str(env, 'CC_QINIU_DOWNLOAD_DOMAIN', ''),
          }
        : undefined,
    pageSizeMax: int(env, 'CC_PAGE_SIZE_MAX', 500, 1),
    extensionStart: int(env, 'CC_EXT_START', 1000, 1, 99_999_000),
    calls: {
      agentWaitSeconds: int(env, 'CC_AGENT_WAIT_S', 15, 1, 3600),
      queueTimeoutSeconds: int(env, 'CC_QUEUE_TIMEOUT_S', 60, 1, 3600),
      agentRingSeconds: int(env, 'CC_AGENT_RING_S', 20, 5, 300),
      customerRingSeconds: int(env, 'CC_CUSTOMER_RING_S', 30, 5, 300),
    },
    agentFirstMaxTries: int(env, 'CC_AGENT_FIRST_MAX_TRIES', 3, 1, 20),
    amd: {
      host: str(env, 'CC_AMD_HOST', '127.0.0.1'),
      port: int(env, 'CC_AMD_PORT', 0, 0, 65535),
      fsIp: str(env, 'CC_AMD_FS_IP', fsHost),
      fsPorts: portRange(env, 'CC_AMD_FS_PORTS', [41000, 41999]),
    },
    limits: {
      requestTimeoutMs: int(env, 'CC_HTTP_REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000),
      maxConnections: int(env, 'CC_HTTP_MAX_CONNECTIONS', 10_000, 1),
      maxConnectionsPerAddress: int(env, 'CC_HTTP_MAX_CONNECTIONS_PER_IP', 1000, 1),
      stompSessionsPerUser: int(env, 'CC_STOMP_SESSIONS_PER_USER', 16, 1, 10_000),
    },
    cluster: clusterConfig(env, httpPort),
  };
}

export const TEST_FS_HTTP_SECRET = 'test-fs-http-secret';
export const TEST_SOCKET_SECRET = 'test-socket-secret';

/** Embedded defaults with an in-memory database: what component tests start from. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ CC_HTTP_PORT: '0', CC_SOCKET_PORT: '0' }, false),
    dbPath: ':memory:',
    logLevel: 'silent',
    fsHttpSecret: TEST_FS_HTTP_SECRET,
    socketSecret: TEST_SOCKET_SECRET,
    ...overrides,
  };
}
