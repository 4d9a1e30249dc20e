// Composition root: the only place that reads the environment, opens the store (SQLite, or PostgreSQL with
// CC_DATABASE_URL), listens and handles signals.
import { loadConfig } from './config.js';
import { systemClock } from './core/clock.js';
import { DatabaseTooNewError } from './db/database.js';
import { PgUnavailableError } from './db/pg/open.js';
import { openRepos } from './db/open-repos.js';
import { ensurePrivateDir } from './db/private-files.js';
import { buildApp } from './app.js';
import { AMD_RECEIVE_BUFFER } from './calls/amd/audio-streams.js';
import { seedStore } from './seed.js';
import { ensureFsHttpSecret } from './api/freeswitch/http-secret.js';
import { ensureSocketSecret } from './calls/socket-secret.js';
import { listenFailureLine, type ListenTarget } from './core/listen-failure.js';
import { readTlsIdentity, readWssCertificate, reloadTls } from './api/tls.js';
import { wssAddressProblems } from './agents/softphone-address.js';

/** A start-up refusal the operator can act on: one line, no stack trace. */
function refuse(reason: string): never {
  console.error(`callcenter cannot start: ${reason}`);
  process.exit(1);
}

const env = loadConfig();
ensurePrivateDir(env.dataDir); // 0700, also for an install made before issue #17 (src/db/private-files.ts)
const fsSecret = ensureFsHttpSecret(env.fsHttpSecret, env.dataDir);
const socketSecret = ensureSocketSecret(env.socketSecret, env.dataDir);
const config = { ...env, fsHttpSecret: fsSecret.secret, socketSecret: socketSecret.secret };
if (fsSecret.source === 'generated')
  // Printed once, at the start that made it; afterwards it is read from the file (scripts/freeswitch reads it too).
  console.log(
    `Generated the FreeSWITCH HTTP secret (xml_curl/xml_cdr basic auth, user "freeswitch"): ${fsSecret.secret}\n` +
      `  stored in ${fsSecret.file}; FreeSWITCH's configuration must use it (or set CC_FS_HTTP_SECRET).`,
  );
if (socketSecret.source === 'generated')
  // Not printed: FreeSWITCH never needs the secret itself, only each node's token, which configure.mjs derives.
  console.log(
    `Generated the FreeSWITCH socket secret in ${socketSecret.file}: run scripts/freeswitch/configure.mjs on each\n` +
      `  node's configuration so its dialplan proves its legs (cc_socket_token); until then the event socket hangs them up.`,
  );
const tls = config.tls ? readTlsIdentity(config.tls) : undefined;
if (tls && !tls.ok) refuse(tls.reason);
const wss = config.fsWss.certFile ? readWssCertificate(config.fsWss.certFile) : undefined;
if (wss && !wss.ok) refuse(wss.reason);
const store = await openRepos(config).catch((err: unknown) => {
  if (err instanceof DatabaseTooNewError || err instanceof PgUnavailableError) refuse(err.message);
  throw err;
});
const { leases } = store;
const app = await buildApp(config, { repos: store.repos, clock: systemClock, tls: tls?.identity, leases });
if (config.cluster.amqpUrl && !leases)
  app.http.log.warn(
    'CC_AMQP_URL without CC_DATABASE_URL: STOMP frames are shared, but on SQLite each instance dials every project of its own database (project ownership needs PostgreSQL)',
  );
const wssCert = wss?.x509;
for (const line of await seedStore(config, app.ctx.repos, systemClock.now(), wssCert))
  app.http.log.info(line);
for (const problem of wssAddressProblems(await app.ctx.repos.nodes.active(), {
  cert: wssCert,
  https: Boolean(tls),
}))
  app.http.log.warn(problem);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.http.log.info({ signal }, 'shutting down: no new requests, finishing in-flight work');
  const force = setTimeout(() => {
    app.http.log.error('shutdown took longer than 15 s; exiting');
    process.exit(1);
  }, 15_000);
  force.unref();
  try {
    await app.close();
  } finally {
    await store.close();
  }
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// A renewed certificate takes effect without a restart (systemctl reload, certbot's deploy hook).
if (config.tls) {
  const files = config.tls;
  process.on('SIGHUP', () => {
    const read = reloadTls(app.http.server, files);
    if (read.ok)
      app.http.log.info(
        { names: read.identity.names, validTo: read.identity.validTo },
        'TLS certificate reloaded',
      );
    else app.http.log.error(`TLS certificate NOT reloaded, still serving the previous one: ${read.reason}`);
  });
}

/** Listens, or exits 1 with one line saying which port and which setting moves it (never a stack trace). */
async function listenOrExit<T>(target: ListenTarget, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    console.error(listenFailureLine(target, err));
    await app.close().catch(() => undefined);
    await store.close();
    process.exit(1);
  }
}

// Both ports first: nothing is dialled and no node is connected by an instance that cannot listen.
const socket = await listenOrExit(
  {
    what: 'FreeSWITCH event socket',
    host: config.outboundSocket.host,
    port: config.outboundSocket.port,
    settings: 'CC_SOCKET_PORT / CC_SOCKET_HOST',
  },
  () => app.outbound.listen(),
);
const address = await listenOrExit(
  {
    what: 'HTTP server (API, pages, STOMP)',
    host: config.http.host,
    port: config.http.port,
    settings: 'CC_HTTP_PORT / CC_HTTP_HOST',
  },
  () => app.http.listen({ host: config.http.host, port: config.http.port }),
);
// Answering-machine detection's audio (UDP): a failure to bind is fatal like the other listeners.
const amdPort = await listenOrExit(
  {
    what: 'answering-machine detection audio (UDP)',
    host: config.amd.host,
    port: config.amd.port,
    settings: 'CC_AMD_PORT / CC_AMD_HOST',
  },
  () => app.amdStreams.listen(),
);
// Linux grants at most net.core.rmem_max (and reports double): a stock kernel's 208 KiB cap loses audio in pauses.
if (app.amdStreams.receiveBufferBytes < AMD_RECEIVE_BUFFER)
  console.warn(
    `answering-machine audio: the kernel granted a ${Math.round(app.amdStreams.receiveBufferBytes / 1024)} KiB receive buffer, less than the ${AMD_RECEIVE_BUFFER / 1024} KiB asked; raise it with \`sysctl -w net.core.rmem_max=${AMD_RECEIVE_BUFFER}\` (README, answering-machine detection)`,
  );
await app.start();
console.log(
  `callcenter listening: HTTP ${address} (API docs ${address}/docs, STOMP ${address.replace(/^http/, 'ws')}/callcenter/ws), FreeSWITCH socket ${socket.address}:${socket.port}, database ${store.where}, answering-machine audio udp ${config.amd.host}:${amdPort}`,
);
if ((await app.ctx.repos.accounts.list()).length === 0)
  console.log(
    'No API account yet: create one with `npm run cli -- account add NAME` (it prints the secret).',
  );
