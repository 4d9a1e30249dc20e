// freeswitch-conf/ is read by FreeSWITCH, not by us, so nothing else would notice when it drifts from the
// constants our server relies on (src/core/freeswitch.ts, src/core/codes.ts). This test reads the files the way
// FreeSWITCH does: its line-based pre-processor first (set variables, expand $${name}), then a strict XML parse.
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DialCode,
  EVENT_SOCKET_DEFAULT,
  FsHttpPath,
  OUTBOUND_SOCKET_DEFAULT,
  SOCKET_TOKEN_VAR,
} from '../../src/core/freeswitch.js';
import { ChannelVar } from '../../src/core/codes.js';
import { HANDOFF_CONTEXT, HANDOFF_VAR } from '../../src/calls/legs/handoff.js';

const confDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../freeswitch-conf');

// ---------- a strict little XML reader (elements, attributes, comments, text; no DTDs) ----------

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, where: string): string {
  return s.replace(/&([^;]*);/g, (_m, name: string) => {
    if (name in ENTITIES) return ENTITIES[name] as string;
    if (/^#\d+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    throw new Error(`${where}: unknown entity &${name};`);
  });
}

function parseXml(text: string, where: string): XmlElement {
  const NAME = /[A-Za-z_][\w.-]*/y;
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    const line = text.slice(0, pos).split('\n').length;
    throw new Error(`${where}:${line}: ${msg}`);
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) fail('expected a name');
    pos = NAME.lastIndex;
    return (m as RegExpExecArray)[0];
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    pos = end + 2;
  }
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt < 0 ? text.length : lt);
    if (chunk.includes('>')) fail('stray ">" in text');
    if (chunk.trim() !== '') {
      if (stack.length === 0) fail('text outside the root element');
      decodeEntities(chunk, where);
    }
    if (lt < 0) break;
    pos = lt;
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end < 0) fail('unterminated comment');
      if (text.slice(pos + 4, end).includes('--')) fail('"--" inside a comment');
      pos = end + 3;
      continue;
    }
    if (text.startsWith('</', pos)) {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== '>') fail(`expected ">" closing </${name}`);
      pos++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    if (text.startsWith('<!', pos) || text.startsWith('<?', pos))
      fail('DTDs and processing instructions not expected');
    pos++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [] };
    for (;;) {
      const before = pos;
      skipSpace();
      if (text.startsWith('/>', pos) || text[pos] === '>') break;
      if (pos === before) fail(`expected whitespace before an attribute of <${el.name}>`);
      const attr = readName();
      skipSpace();
      if (text[pos] !== '=') fail(`attribute ${attr} has no value`);
      pos++;
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`);
      const end = text.indexOf(quote as string, pos + 1);
      if (end < 0) fail(`unterminated value of ${attr}`);
      const raw = text.slice(pos + 1, end);
      if (raw.includes('<')) fail(`"<" in the value of ${attr}`);
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = decodeEntities(raw, where);
      pos = end + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) fail('a second root element');
    else root = el;
    if (text.startsWith('/>', pos)) pos += 2;
    else {
      pos++;
      stack.push(el);
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]?.name}> is never closed`);
  if (!root) fail('no root element');
  return root as XmlElement;
}

const all = (el: XmlElement, name: string): XmlElement[] => [
  ...el.children.filter((c) => c.name === name),
  ...el.children.flatMap((c) => all(c, name)),
];
/** The value of each <param name=...>, in file order (FreeSWITCH lets the last one win for scalar params). */
const params = (el: XmlElement, name: string): string[] =>
  all(el, 'param')
    .filter((p) => p.attrs.name === name)
    .map((p) => p.attrs.value ?? '');
const param = (el: XmlElement, name: string): string | undefined => params(el, name).at(-1);

// ---------- FreeSWITCH's pre-processor, as far as our files use it ----------

/** Variables FreeSWITCH sets itself (switch_core.c) or vanilla vars.xml sets before ours is included. */
const builtins: Record<string, string> = {
  local_ip_v4: '192.0.2.10',
  domain: '192.0.2.10',
  certs_dir: '/etc/freeswitch/tls',
  log_dir: '/var/log/freeswitch',
  recordings_dir: '/var/lib/freeswitch/recordings',
};
const PRE = /^\s*<X-PRE-PROCESS cmd="set" data="([A-Za-z_][\w]*)=([^"]*)"\/>\s*$/;

function expand(line: string, vars: Map<string, string>, where: string): string {
  return line.replace(/\$\$\{([^}]+)\}/g, (_m, name: string) => {
    const v = vars.get(name);
    if (v === undefined) throw new Error(`${where}: $\${${name}} is not set`);
    return v;
  });
}

function readVars(): Map<string, string> {
  const vars = new Map(Object.entries(builtins));
  const lines = readFileSync(join(confDir, 'callcenter/vars.xml'), 'utf8').split('\n');
  lines.forEach((line, i) => {
    const m = PRE.exec(expand(line, vars, `callcenter/vars.xml:${i + 1}`));
    if (m) vars.set(m[1] as string, m[2] as string);
  });
  return vars;
}

const vars = readVars();
const ccVarsSet = [...vars.keys()].filter((k) => k.startsWith('cc_'));

function confFiles(dir = confDir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? confFiles(p) : [relative(confDir, p)];
    });
}
const xmlFiles = confFiles().filter((f) => f.endsWith('.xml'));
const raw = (file: string) => readFileSync(join(confDir, file), 'utf8');
/** The file after pre-processing, parsed; lines holding <include> or </include> are dropped, as FreeSWITCH does. */
function load(file: string): XmlElement {
  const text = raw(file)
    .split('\n')
    .map((line, i) => expand(line, vars, `${file}:${i + 1}`))
    .join('\n');
  return parseXml(text, file);
}

// ---------- the dialplan, run the way mod_dialplan_xml picks an extension ----------

interface Step {
  app: string;
  data: string;
}
function route(context: string, destination: string): { extension: string; steps: Step[] } {
  const file = context === 'public' ? 'dialplan/public.xml' : 'dialplan/default.xml';
  const ctx = all(load(file), 'context').find((c) => c.attrs.name === context);
  if (!ctx) throw new Error(`no context ${context}`);
  for (const ext of all(ctx, 'extension')) {
    const conditions = all(ext, 'condition');
    if (conditions.length !== 1 || conditions[0]?.attrs.field !== 'destination_number')
      throw new Error(`${ext.attrs.name}: this test only reads one destination_number condition`);
    const cond = conditions[0] as XmlElement;
    const m = new RegExp(cond.attrs.expression ?? '').exec(destination);
    if (!m) continue;
    const steps = all(cond, 'action').map((a) => ({
      app: a.attrs.application ?? '',
      data: (a.attrs.data ?? '').replace(/\$(\d)/g, (_s, n: string) => m[Number(n)] ?? ''),
    }));
    return { extension: ext.attrs.name ?? '', steps };
  }
  throw new Error(`${destination} matches nothing in ${context}`);
}
const setVars = (steps: Step[]): Record<string, string> =>
  Object.fromEntries(
    steps
      .filter((s) => s.app === 'set')
      .map((s) => [s.data.slice(0, s.data.indexOf('=')), s.data.slice(s.data.indexOf('=') + 1)]),
  );

const socketData = `${OUTBOUND_SOCKET_DEFAULT.host}:${OUTBOUND_SOCKET_DEFAULT.port} async full`;

// ---------- the stories ----------

t.test('every file is well-formed XML once FreeSWITCH has pre-processed it', async (t) => {
  t.ok(xmlFiles.length >= 9, `found ${xmlFiles.length} files`);
  for (const f of xmlFiles) t.doesNotThrow(() => load(f), f);
});

t.test('the strict reader refuses what FreeSWITCH would choke on', async (t) => {
  t.throws(() => parseXml('<a><b></a>', 'x'), /closes/);
  t.throws(() => parseXml('<a x=1/>', 'x'), /not quoted/);
  t.throws(() => parseXml('<a x="1" x="2"/>', 'x'), /duplicate/);
  t.throws(() => parseXml('<a><!-- a -- b --></a>', 'x'), /inside a comment/);
  t.throws(() => parseXml('<a>&nbsp;</a>', 'x'), /unknown entity/);
  t.throws(() => parseXml('<a/><b/>', 'x'), /second root/);
  t.throws(() => parseXml('<a>', 'x'), /never closed/);
  t.same(parseXml('<a k="&lt;v&gt;"><b/></a>', 'x'), {
    name: 'a',
    attrs: { k: '<v>' },
    children: [{ name: 'b', attrs: {}, children: [] }],
  });
});

t.test("the pre-processor's quirks cannot bite", async (t) => {
  for (const f of xmlFiles) {
    const lines = raw(f).split('\n');
    let inComment = false;
    lines.forEach((line, i) => {
      const at = `${f}:${i + 1}`;
      // FreeSWITCH runs a pre-process line even inside a comment, and drops any other line naming it.
      if (/x-pre-process/i.test(line)) {
        t.notOk(inComment, `${at}: pre-process line inside a comment`);
        t.match(line, PRE, `${at}: a single-line set`);
      }
      // Lines holding <include> or </include> are dropped whole, so nothing else may share them.
      if (/<\/?include>/.test(line))
        t.match(line.trim(), /^<\/?include>$/, `${at}: include tag alone on its line`);
      const opens = line.lastIndexOf('<!--');
      const closes = line.lastIndexOf('-->');
      if (opens > closes) inComment = true;
      else if (closes >= 0) inComment = false;
    });
  }
});

t.test(
  'an operator edits one place: every cc_ variable is set once in callcenter/vars.xml and used',
  async (t) => {
    const used = new Set<string>();
    for (const f of xmlFiles) for (const m of raw(f).matchAll(/\$\$\{(cc_\w+)\}/g)) used.add(m[1] as string);
    // Globals the server names at run time ('${cc_hold_music}' in a playback) count as used too.
    for (const m of readFileSync('src/core/freeswitch.ts', 'utf8').matchAll(/'\$\{(cc_\w+)\}'/g))
      used.add(m[1] as string);
    for (const name of used) t.ok(vars.has(name), `${name} is set`);
    for (const name of ccVarsSet) t.ok(used.has(name), `${name} is used`);
    const setLines = raw('callcenter/vars.xml').match(/data="(\w+)=/g) ?? [];
    t.equal(new Set(setLines).size, setLines.length, 'no variable is set twice');
    // Ours default to loopback: nothing listens beyond the machine until the operator says so.
    t.equal(vars.get('cc_server_ip'), '127.0.0.1');
    t.equal(vars.get('cc_sip_ip'), '127.0.0.1');
  },
);

t.test('the event socket listens where our server connects by default', async (t) => {
  const cfg = load('autoload_configs/event_socket.conf.xml');
  t.equal(cfg.attrs.name, 'event_socket.conf');
  t.equal(param(cfg, 'listen-ip'), EVENT_SOCKET_DEFAULT.host);
  t.equal(param(cfg, 'listen-port'), String(EVENT_SOCKET_DEFAULT.port));
  t.equal(param(cfg, 'password'), EVENT_SOCKET_DEFAULT.password);
  t.equal(param(cfg, 'apply-inbound-acl'), 'loopback.auto');
});

t.test('mod_xml_curl asks our configuration and directory endpoints, with credentials', async (t) => {
  const cfg = load('autoload_configs/xml_curl.conf.xml');
  t.equal(cfg.attrs.name, 'xml_curl.conf');
  const bindings = all(cfg, 'binding');
  t.equal(bindings.length, 2, 'one binding per gateway-url');
  const byKind = new Map(
    bindings.map((b) => {
      const url = all(b, 'param').find((p) => p.attrs.name === 'gateway-url');
      return [url?.attrs.bindings, { b, url: url?.attrs.value ?? '' }] as const;
    }),
  );
  const expectations = [
    ['configuration', FsHttpPath.xmlCurlConfiguration],
    ['directory', FsHttpPath.xmlCurlDirectory],
  ] as const;
  for (const [kind, path] of expectations) {
    const got = byKind.get(kind);
    t.ok(got, `a binding for ${kind}`);
    if (!got) continue;
    t.equal(got.url, `http://127.0.0.1:8080${path}`, `${kind} url`);
    t.equal(param(got.b, 'gateway-credentials'), vars.get('cc_http_credentials'));
    t.equal(param(got.b, 'auth-scheme'), 'basic');
    t.ok(Number(param(got.b, 'timeout')) > 0, `${kind} has a timeout`);
    t.equal(param(got.b, 'disable-100-continue'), 'true');
  }
});

t.test(
  'mod_xml_cdr posts every leg to our CDR endpoint, retries, and keeps what failed on disk',
  async (t) => {
    const cfg = load('autoload_configs/xml_cdr.conf.xml');
    t.equal(cfg.attrs.name, 'xml_cdr.conf');
    t.equal(param(cfg, 'url'), `http://127.0.0.1:8080${FsHttpPath.cdr}`);
    t.equal(param(cfg, 'cred'), vars.get('cc_http_credentials'));
    t.ok(Number(param(cfg, 'retries')) > 0);
    t.ok(Number(param(cfg, 'delay')) > 0);
    t.equal(param(cfg, 'log-b-leg'), 'true');
    t.equal(param(cfg, 'encode'), 'true', 'cdr=<url-encoded XML>, matching the Content-Type curl sends');
    t.equal(param(cfg, 'err-log-dir'), '/var/log/freeswitch/xml_cdr');
  },
);

t.test('the node allows the sessions our node table assumes', async (t) => {
  const cfg = load('callcenter/switch-settings.xml');
  t.equal(param(cfg, 'max-sessions'), '1000');
  t.equal(param(cfg, 'sessions-per-second'), '30');
});

t.test('the modules vanilla leaves out are loaded', async (t) => {
  const loads = all(load('callcenter/modules.xml'), 'load').map((l) => l.attrs.module);
  t.same(loads, ['mod_xml_curl', 'mod_xml_cdr']);
});

t.test('the internal profile serves WebRTC softphones and authenticates everyone', async (t) => {
  const cfg = load('callcenter/internal-profile.xml');
  t.equal(param(cfg, 'ws-binding'), ':5066');
  t.equal(param(cfg, 'wss-binding'), '127.0.0.1:7443', 'on cc_wss_ip, the SIP address unless set');
  t.equal(param(cfg, 'sip-ip'), '127.0.0.1');
  t.equal(param(cfg, 'ext-rtp-ip'), '127.0.0.1');
  t.same(params(cfg, 'apply-candidate-acl'), ['localnet.auto', 'wan.auto'], 'LAN candidates first');
  // A matching register ACL would let an address register without a password (sofia_reg.c).
  t.same(params(cfg, 'apply-register-acl'), ['none']);
  t.equal(param(cfg, 'auth-calls'), 'true');
  t.equal(param(cfg, 'inbound-reg-force-matching-username'), 'true');
  t.equal(param(cfg, 'force-register-domain'), builtins.domain);
  t.equal(param(cfg, 'NDLB-force-rport'), 'true');
  t.equal(param(cfg, 'tls-cert-dir'), builtins.certs_dir);
  t.equal(param(cfg, 'record-path'), builtins.recordings_dir);
});

t.test('every socket action dials our outbound server, and falls back when it is down', async (t) => {
  let sockets = 0;
  for (const file of ['dialplan/public.xml', 'dialplan/default.xml']) {
    for (const cond of all(load(file), 'condition')) {
      const actions = all(cond, 'action');
      actions.forEach((a, i) => {
        if (a.attrs.application !== 'socket') return;
        sockets++;
        t.equal(a.attrs.data, socketData, `${file}: socket target`);
        t.same(
          actions.slice(i + 1).map((x) => x.attrs.application),
          ['answer', 'playback', 'hangup'],
          `${file}: fallback after the socket`,
        );
      });
    }
  }
  t.equal(sockets, 5, 'inbound, agent_login, agent_logoff, fifo, agent_call');
});

t.test(
  'every leg the dialplan hands to our socket carries the node token, set before the socket',
  async (t) => {
    let sockets = 0;
    for (const file of ['dialplan/public.xml', 'dialplan/default.xml'])
      for (const cond of all(load(file), 'condition')) {
        const actions = all(cond, 'action').map((a) => a.attrs);
        const socket = actions.findIndex((a) => a.application === 'socket');
        if (socket === -1) continue;
        sockets++;
        const token = actions.findIndex(
          (a) => a.application === 'set' && a.data?.startsWith(`${SOCKET_TOKEN_VAR}=`),
        );
        t.ok(token !== -1 && token < socket, `${file}: ${SOCKET_TOKEN_VAR} set before the socket`);
        t.equal(actions[token]?.data, `${SOCKET_TOKEN_VAR}=${vars.get('cc_socket_token')}`, 'from vars.xml');
      }
    t.equal(sockets, 5);
  },
);

t.test('routing: who dials what reaches which flow with which channel variables', async (t) => {
  const cases: Array<[context: string, dialled: string, extension: string, set: Record<string, string>]> = [
    ['public', '4001', 'cc_inbound', { [ChannelVar.role]: 'customer', [ChannelVar.flow]: 'inbound' }],
    [
      'public',
      '+862150001234',
      'cc_inbound',
      { [ChannelVar.role]: 'customer', [ChannelVar.flow]: 'inbound' },
    ],
    [
      'default',
      DialCode.agentLogin,
      'cc_agent_login',
      { [ChannelVar.role]: 'agent', [ChannelVar.flow]: 'agent_login' },
    ],
    [
      'default',
      DialCode.agentLogoff,
      'cc_agent_logoff',
      { [ChannelVar.role]: 'agent', [ChannelVar.flow]: 'agent_logoff' },
    ],
    [
      'default',
      `${DialCode.fifoPrefix}P1001`,
      'cc_fifo',
      { [ChannelVar.role]: 'agent', [ChannelVar.flow]: 'fifo', [ChannelVar.project]: 'P1001' },
    ],
    [
      'default',
      '13800000000',
      'cc_agent_call',
      { [ChannelVar.role]: 'agent', [ChannelVar.flow]: 'agent_call' },
    ],
    ['default', '123', 'cc_agent_call', { [ChannelVar.role]: 'agent', [ChannelVar.flow]: 'agent_call' }],
    ['default', '1234567', 'cc_agent_call', { [ChannelVar.role]: 'agent', [ChannelVar.flow]: 'agent_call' }],
  ];
  for (const [context, dialled, extension, set] of cases) {
    const r = route(context, dialled);
    t.equal(r.extension, extension, `${context}: ${dialled}`);
    // The token is vars.xml's cc_socket_token (configure.mjs writes the node's; here the placeholder).
    t.same(
      setVars(r.steps),
      { [SOCKET_TOKEN_VAR]: 'change-this-token', ...set },
      `${context}: ${dialled} sets`,
    );
    t.equal(r.steps.find((s) => s.app === 'socket')?.data, socketData);
  }
});

t.test(
  'extension to extension calls bridge the registered user, ring for a while, and end with the bridge',
  async (t) => {
    for (const ext of ['1000', '80001', '123456']) {
      const r = route('default', ext);
      t.equal(r.extension, 'cc_internal', ext);
      t.same(setVars(r.steps), { call_timeout: '30', hangup_after_bridge: 'true' });
      t.same(r.steps.at(-1), { app: 'bridge', data: 'user/${destination_number}@${domain_name}' });
      t.notOk(
        r.steps.some((s) => s.app === 'socket'),
        'our server is not involved',
      );
    }
  },
);

t.test(
  'the dialplan sets only our known channel variables, and never the ones only originate sets',
  async (t) => {
    const known = new Set<string>([...Object.values(ChannelVar), SOCKET_TOKEN_VAR]);
    for (const file of ['dialplan/public.xml', 'dialplan/default.xml']) {
      for (const a of all(load(file), 'action').filter((x) => x.attrs.application === 'set')) {
        const name = (a.attrs.data ?? '').split('=')[0] as string;
        if (name.startsWith('cc_')) t.ok(known.has(name), `${file}: ${name} is a ChannelVar`);
        t.not(name, ChannelVar.task, `${file}: ${name}`);
        t.not(name, ChannelVar.callId, `${file}: ${name}`);
      }
    }
  },
);

t.test(
  'a leg handed on by an instance that does not own its project reaches the owner, or the fallback',
  async (t) => {
    const ctx = all(load('dialplan/handoff.xml'), 'context');
    t.same(
      ctx.map((c) => c.attrs.name),
      [HANDOFF_CONTEXT],
      'one context, the one src/calls/legs/handoff.ts transfers to',
    );
    const conds = all(ctx[0] as XmlElement, 'condition');
    t.equal(conds.length, 1);
    t.match(conds[0]?.attrs, { field: 'destination_number', expression: '^(.+)$' }, 'any destination');
    const actions = all(conds[0] as XmlElement, 'action').map((a) => [a.attrs.application, a.attrs.data]);
    t.same(actions, [
      ['socket', `\${${HANDOFF_VAR}} async full`],
      ['answer', undefined],
      ['playback', vars.get('cc_unavailable_media')],
      ['hangup', 'NORMAL_TEMPORARY_FAILURE'],
    ]);
    t.equal(vars.get('cc_socket_targets'), `${OUTBOUND_SOCKET_DEFAULT.host}:${OUTBOUND_SOCKET_DEFAULT.port}`);
  },
);

t.test('the README says where every file goes', async (t) => {
  const readme = raw('README.md');
  for (const f of xmlFiles) t.ok(readme.includes(f), `README mentions ${f}`);
  for (const name of ccVarsSet) t.ok(readme.includes(name), `README explains ${name}`);
});
