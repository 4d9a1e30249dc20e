#!/usr/bin/env node
// Applies freeswitch-conf/ to a vanilla FreeSWITCH configuration directory (what freeswitch-conf/README.md
// describes by hand). Idempotent: running it again on its own output changes nothing. The live test tier runs it on
// a scratch copy of the installed vanilla configuration; operators run it on their own.
//
//   node scripts/freeswitch/configure.mjs <vanilla conf dir> [<output dir>] [options] [cc_name=value ...]
//
//   <output dir>       where the configured copy goes (default: edit the vanilla directory in place)
//   cc_name=value      sets a variable of callcenter/vars.xml (cc_server_ip, cc_http_credentials, cc_esl_password...)
//   --node NAME        the node this configuration is for (its name in the server's node table; default
//                      $CC_FS_NAME or "local"): its cc_socket_token is derived from the server's socket secret
//   --mod-dir DIR      drop modules.conf.xml lines for modules that are not in DIR (default: <prefix>/lib/freeswitch/mod
//                      when the configuration is <prefix>/etc/freeswitch)
//   --sounds-dir DIR   where sounds are; without <DIR>/music, hold music is a tone instead of local_stream://moh
//   --no-ipv6          remove the IPv6 SIP profiles (they fail to bind where the host has no IPv6 address)
//   --wss-cert FILE --wss-key FILE
//                      installs this certificate (PEM, leaf first, then its chain) and its key as FreeSWITCH's wss.pem
//                      (mode 0600, owned like the certs directory), so that agents' browsers trust the WSS port; prints
//                      the wss:// address to hand to softphones (CC_FS_WSS). Run it again with a renewed certificate.
//   --certs-dir DIR    where wss.pem goes, also set as cc_tls_cert_dir (default: FreeSWITCH's certs directory,
//                      <prefix>/certs for a source build, /etc/freeswitch/tls for Debian packages)
//   --quiet            print nothing but errors
import { X509Certificate, createHmac, createPrivateKey, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ours = join(dirname(fileURLToPath(import.meta.url)), '../../freeswitch-conf');

/** The four include lines of freeswitch-conf/README.md §1: file, line, and where it goes. */
const INCLUDES = [
  ['vars.xml', '<X-PRE-PROCESS cmd="include" data="callcenter/vars.xml"/>', 'before', '</include>'],
  [
    'autoload_configs/modules.conf.xml',
    '<X-PRE-PROCESS cmd="include" data="../callcenter/modules.xml"/>',
    'after',
    '<modules>',
  ],
  [
    'autoload_configs/switch.conf.xml',
    '<X-PRE-PROCESS cmd="include" data="../callcenter/switch-settings.xml"/>',
    'before',
    '</settings>',
  ],
  [
    'sip_profiles/internal.xml',
    '<X-PRE-PROCESS cmd="include" data="../callcenter/internal-profile.xml"/>',
    'before',
    '</settings>',
  ],
];

/** Files of ours that replace the vanilla ones outright. */
const REPLACED = [
  'autoload_configs/event_socket.conf.xml',
  'autoload_configs/xml_curl.conf.xml',
  'autoload_configs/xml_cdr.conf.xml',
  'dialplan/default.xml',
  'dialplan/public.xml',
  'dialplan/handoff.xml',
];

export function parseArgs(argv) {
  const o = {
    vars: {},
    ipv6: true,
    quiet: false,
    modDir: undefined,
    soundsDir: undefined,
    node: process.env.CC_FS_NAME || 'local',
    wssCert: undefined,
    wssKey: undefined,
    certsDir: undefined,
    dirs: [],
  };
  const pathOptions = {
    '--mod-dir': 'modDir',
    '--sounds-dir': 'soundsDir',
    '--wss-cert': 'wssCert',
    '--wss-key': 'wssKey',
    '--certs-dir': 'certsDir',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-ipv6') o.ipv6 = false;
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--node') {
      o.node = argv[++i];
      if (!o.node) throw new Error('--node needs the node name');
    } else if (a in pathOptions) {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a path`);
      o[pathOptions[a]] = resolve(v);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (/^cc_[a-z0-9_]+=/.test(a)) {
      const eq = a.indexOf('=');
      o.vars[a.slice(0, eq)] = a.slice(eq + 1);
    } else o.dirs.push(resolve(a));
  }
  if (o.dirs.length < 1 || o.dirs.length > 2)
    throw new Error('usage: configure.mjs <vanilla conf dir> [<output dir>]');
  if (Boolean(o.wssCert) !== Boolean(o.wssKey)) throw new Error('--wss-cert and --wss-key go together');
  return o;
}

/** Adds `line` on its own line before the last `anchor` or after the first one, unless the file already has it. */
function include(text, line, where, anchor, file) {
  if (text.includes(line)) return text;
  const at = where === 'before' ? text.lastIndexOf(anchor) : text.indexOf(anchor);
  if (at < 0) throw new Error(`${file}: no ${anchor} to anchor ${line}`);
  if (where === 'after')
    return `${text.slice(0, at + anchor.length)}\n    ${line}${text.slice(at + anchor.length)}`;
  const lineStart = text.lastIndexOf('\n', at) + 1;
  return `${text.slice(0, lineStart)}    ${line}\n${text.slice(lineStart)}`;
}

/** Sets `name=value` in a file of X-PRE-PROCESS set lines; refuses names the file does not define. */
function setVar(text, name, value, file) {
  const re = new RegExp(`(<X-PRE-PROCESS cmd="(?:stun-)?set" data="${name}=)[^"]*("/>)`);
  if (!re.test(text)) throw new Error(`${file} defines no ${name}`);
  if (/["<>\r\n]/.test(value))
    throw new Error(`${name}: the value may not hold quotes, angle brackets or newlines`);
  return text.replace(re, (_m, a, b) => `${a}${value}${b}`);
}

export function configure(o) {
  const [vanilla, outArg] = o.dirs;
  const out = outArg ?? vanilla;
  const say = (s) => o.quiet || console.log(`configure-freeswitch: ${s}`);
  for (const f of ['vars.xml', 'autoload_configs/modules.conf.xml', 'sip_profiles/internal.xml'])
    if (!existsSync(join(vanilla, f)))
      throw new Error(`${vanilla} is not a FreeSWITCH configuration (${f} is missing)`);
  if (out !== vanilla) {
    mkdirSync(out, { recursive: true });
    cpSync(vanilla, out, { recursive: true });
  }
  const read = (f) => readFileSync(join(out, f), 'utf8');
  const write = (f, s) => writeFileSync(join(out, f), s);

  // Our fragments are refreshed, but cc_ variables an operator already set in the output are kept.
  const ccVars = join(out, 'callcenter/vars.xml');
  const kept = existsSync(ccVars) ? readFileSync(ccVars, 'utf8') : '';
  cpSync(join(ours, 'callcenter'), join(out, 'callcenter'), { recursive: true });
  let vars = readFileSync(ccVars, 'utf8');
  for (const m of kept.matchAll(/<X-PRE-PROCESS cmd="set" data="(cc_[a-z0-9_]+)=([^"]*)"\/>/g))
    if (vars.includes(`data="${m[1]}=`)) vars = setVar(vars, m[1], m[2], 'callcenter/vars.xml');
  const sounds = o.soundsDir ?? guessSoundsDir(vanilla);
  if (
    sounds &&
    !existsSync(join(sounds, 'music')) &&
    !('cc_hold_music' in o.vars) &&
    !kept.includes('cc_hold_music=tone')
  )
    o.vars.cc_hold_music = 'tone_stream://%(2000,4000,440,480);loops=-1';
  // The server's FreeSWITCH secret (generated at its first start: src/api/freeswitch/http-secret.ts) unless given here.
  if (
    !('cc_http_credentials' in o.vars) &&
    vars.includes('cc_http_credentials=freeswitch:change-this-secret')
  ) {
    const secret = serverSecret();
    if (secret) o.vars.cc_http_credentials = `freeswitch:${secret}`;
    else
      say(
        'cc_http_credentials still has the placeholder: start the server once (it writes data/freeswitch-http-secret) or pass cc_http_credentials=freeswitch:<CC_FS_HTTP_SECRET>',
      );
  }
  // The node's socket token (src/calls/leg-proof.ts socketToken), from the server's socket secret, unless given here.
  if (!('cc_socket_token' in o.vars)) {
    const secret = serverFile('CC_SOCKET_SECRET', 'freeswitch-socket-secret');
    if (secret) o.vars.cc_socket_token = socketToken(secret, o.node);
    else if (vars.includes('cc_socket_token=change-this-token'))
      say(
        'cc_socket_token still has the placeholder: start the server once (it writes data/freeswitch-socket-secret) or set CC_SOCKET_SECRET, then run this again; until then the server hangs up every leg of this node',
      );
  }
  const wss = o.wssCert ? installWssPem(o, vanilla) : undefined;
  if (wss && o.certsDir) o.vars.cc_tls_cert_dir = wss.dir;
  for (const [k, v] of Object.entries(o.vars)) vars = setVar(vars, k, v, 'callcenter/vars.xml');
  writeFileSync(ccVars, vars);
  if (wss) {
    const port = /data="cc_wss_port=(\d+)"/.exec(vars)?.[1] ?? '7443';
    say(
      `installed ${wss.file} for ${wss.names.join(', ')} (valid until ${wss.validTo}); softphones connect to ` +
        `wss://${wss.names[0]}:${port}: start the server with CC_FS_WSS=wss://${wss.names[0]}:${port} ` +
        `(or CC_FS_WSS_CERT=<this certificate>), then 'sofia profile internal restart' if FreeSWITCH runs`,
    );
  }
  for (const f of REPLACED) cpSync(join(ours, f), join(out, f));
  for (const [f, line, where, anchor] of INCLUDES) write(f, include(read(f), line, where, anchor, f));

  // Vanilla's demo users (1000-1019 with password 1234, brian, example.com...) would answer where our directory
  // does not, or impersonate our extensions.
  const users = join(out, 'directory/default');
  if (existsSync(users))
    for (const f of readdirSync(users)) rmSync(join(users, f), { recursive: true, force: true });

  // default_password left at 1234 makes FreeSWITCH sleep 10 s at start-up; nothing of ours uses it.
  let top = read('vars.xml');
  if (/data="default_password=1234"/.test(top))
    top = setVar(top, 'default_password', randomBytes(12).toString('hex'), 'vars.xml');
  // STUN look-ups at every start block where there is no internet; the host's address is what a LAN needs.
  top = top.replace(
    /<X-PRE-PROCESS cmd="stun-set" data="(external_(?:rtp|sip)_ip)=stun:[^"]*"\/>/g,
    (_m, name) => `<X-PRE-PROCESS cmd="set" data="${name}=$\${local_ip_v4}"/>`,
  );
  write('vars.xml', top);

  if (!o.ipv6)
    for (const f of ['internal-ipv6.xml', 'external-ipv6.xml', 'internal-ipv6', 'external-ipv6'])
      rmSync(join(out, 'sip_profiles', f), { recursive: true, force: true });

  const modDir = o.modDir ?? guessModDir(vanilla);
  if (modDir && existsSync(modDir)) {
    const built = new Set(
      readdirSync(modDir)
        .filter((f) => f.endsWith('.so'))
        .map((f) => f.slice(0, -3)),
    );
    const f = 'autoload_configs/modules.conf.xml';
    const dropped = [];
    const text = read(f).replace(/^[ \t]*<load module="([^"]+)"\/>[^\n]*\n/gm, (line, mod) => {
      if (built.has(mod)) return line;
      dropped.push(mod);
      return '';
    });
    write(f, text);
    if (dropped.length) say(`left out modules that are not built: ${dropped.join(' ')}`);
  }
  say(`configured ${out}`);
  return out;
}

/**
 * FreeSWITCH reads wss.pem from the profile's tls-cert-dir as certificate, key and chain at once (sofia.c), and makes
 * a self-signed one when the file is missing, which no browser trusts. The pair is checked before anything is written,
 * and the file is replaced whole (a renamed temporary), so a running FreeSWITCH never reads half a certificate.
 */
function installWssPem(o, vanilla) {
  const certText = readFileSync(o.wssCert, 'utf8');
  const keyText = readFileSync(o.wssKey, 'utf8');
  const blocks = certText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`--wss-cert ${o.wssCert} holds no PEM certificate`);
  const leaf = new X509Certificate(blocks[0]);
  let key;
  try {
    key = createPrivateKey(keyText);
  } catch {
    throw new Error(`--wss-key ${o.wssKey} holds no PEM private key (or it is encrypted)`);
  }
  if (!leaf.checkPrivateKey(key)) throw new Error(`--wss-key ${o.wssKey} is not the key of ${o.wssCert}`);
  const alt = (leaf.subjectAltName ?? '').split(/,\s*/);
  const names = [
    ...alt.filter((a) => a.startsWith('DNS:')).map((a) => a.slice(4)),
    ...alt.filter((a) => a.startsWith('IP Address:')).map((a) => a.slice(11)),
  ];
  if (names.length === 0) throw new Error(`${o.wssCert} names no host (subjectAltName): browsers refuse it`);
  const keyPem = key.export({ type: 'pkcs8', format: 'pem' });
  const dir = o.certsDir ?? guessCertsDir(vanilla);
  if (!dir) throw new Error('cannot tell where FreeSWITCH keeps its certificates: give --certs-dir');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'wss.pem');
  const staged = `${file}.new`;
  writeFileSync(staged, `${blocks[0]}\n${keyPem}${blocks.slice(1).join('\n')}\n`, { mode: 0o600 });
  chmodSync(staged, 0o600);
  if (process.getuid?.() === 0) {
    const owner = statSync(dir);
    chownSync(staged, owner.uid, owner.gid);
  }
  renameSync(staged, file);
  return { dir, file, names, validTo: leaf.validTo };
}

/** <prefix>/etc/freeswitch → <prefix>/certs (source builds); /etc/freeswitch → /etc/freeswitch/tls (packages). */
function guessCertsDir(conf) {
  const etc = dirname(resolve(conf));
  if (basename(resolve(conf)) !== 'freeswitch' || basename(etc) !== 'etc') return undefined;
  const prefix = dirname(etc);
  return prefix === '/' ? join(resolve(conf), 'tls') : join(prefix, 'certs');
}

/** CC_FS_HTTP_SECRET, else the file the server writes at first start in its data directory (CC_DATA_DIR). */
function serverSecret() {
  return serverFile('CC_FS_HTTP_SECRET', 'freeswitch-http-secret');
}

/** A secret of the server: its environment variable, else its file in the server's data directory. */
function serverFile(variable, name) {
  if (process.env[variable]) return process.env[variable];
  const file = join(resolve(process.env.CC_DATA_DIR ?? join(ours, '../data')), name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** The same derivation as the server's socketToken (src/calls/leg-proof.ts); a unit test holds them together. */
export function socketToken(secret, nodeName) {
  return createHmac('sha256', secret).update(`callcenter socket ${nodeName}`).digest('base64url');
}

/** <prefix>/etc/freeswitch → <prefix>/lib/freeswitch/mod; /etc/freeswitch → /usr/lib/freeswitch/mod. */
function guessModDir(conf) {
  const etc = dirname(resolve(conf));
  if (basename(resolve(conf)) !== 'freeswitch' || basename(etc) !== 'etc') return undefined;
  const prefix = dirname(etc);
  return join(prefix === '/' ? '/usr' : prefix, 'lib/freeswitch/mod');
}

function guessSoundsDir(conf) {
  const etc = dirname(resolve(conf));
  if (basename(resolve(conf)) !== 'freeswitch' || basename(etc) !== 'etc') return undefined;
  const prefix = dirname(etc);
  return join(prefix === '/' ? '/usr' : prefix, 'share/freeswitch/sounds');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    configure(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`configure-freeswitch: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}
