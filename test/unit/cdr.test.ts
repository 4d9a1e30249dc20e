import { readFileSync } from 'node:fs';
import t from 'tap';
import { child, decodeEntities, parseCdr, parseXml } from '../../src/switch/cdr.js';
import { mergeCdrFields, type CallLog } from '../../src/db/repos/call-logs.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/xml-cdr/${name}`, import.meta.url), 'utf8');

t.test('the XML reader', async (t) => {
  await t.test('reads elements, attributes, text and entities; skips the prolog and comments', async (t) => {
    const doc = parseXml(
      `<?xml version="1.0"?>\n<!-- a comment with <tags> -->\n<a x="1" y='two &amp; &quot;3&quot;'>` +
        `<b>R&amp;D &lt;x&gt; &#65;&#x42;</b><c/><c k="v" /></a>`,
    );
    t.ok(doc.ok);
    if (!doc.ok) return;
    t.equal(doc.value.name, 'a');
    t.same(doc.value.attrs, { x: '1', y: 'two & "3"' });
    t.equal(child(doc.value, 'b')?.text, 'R&D <x> AB');
    t.equal(doc.value.children.length, 3);
    t.same(doc.value.children[2]!.attrs, { k: 'v' });
  });

  await t.test('keeps CDATA verbatim', async (t) => {
    const doc = parseXml('<a><![CDATA[<not a tag> & not an entity]]></a>');
    t.ok(doc.ok && doc.value.text === '<not a tag> & not an entity');
  });

  await t.test('leaves unknown entities as written', async (t) => {
    t.equal(decodeEntities('&nbsp; &amp;'), '&nbsp; &');
  });

  await t.test('refuses what is not one well-formed element', async (t) => {
    const bad: [string, string][] = [
      ['<a><b></a>', 'unexpected </a>'],
      ['<a>', '<a> is not closed'],
      ['<a/><b/>', 'more than one root element'],
      ['', 'no root element'],
      ['just text', 'no root element'],
      ['<a><![CDATA[x</a>', 'unterminated CDATA section'],
      ['<a><!-- x</a>', 'unterminated comment or declaration'],
      ['<a', 'unterminated tag'],
      ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'DTDs and declarations are not accepted'],
      ['<a b>', 'attribute b of <a> has no value'],
      ['<a b=c/>', 'attribute b is not quoted'],
    ];
    for (const [xml, error] of bad) t.same(parseXml(xml), { ok: false, error }, JSON.stringify(xml));
  });
});

t.test('hostile documents are refused by a linear scan, within bounded depth and size', async (t) => {
  // The attack: one tag of 120 k characters of attribute names without values took the regex reader 9 s
  // (and was accepted); it is malformed, and now refused after one pass.
  t.match(parseXml(`<cdr ${'a '.repeat(60_000)}>`), { ok: false, error: /has no value/ });
  t.match(parseXml('<a>'.repeat(100) + '</a>'.repeat(100)), { ok: false, error: /nested deeper than 32/ });
  t.match(parseXml(`<a>${'<b/>'.repeat(10_001)}</a>`), { ok: false, error: /more than 10000 elements/ });
  t.match(parseXml(`<a ${'k="v" '.repeat(65)}/>`), { ok: false, error: /more than 64 attributes/ });
  const proto = parseXml('<a __proto__="x" b="1"/>');
  t.ok(
    proto.ok && Object.getPrototypeOf(proto.value.attrs) === Object.prototype && proto.value.attrs.b === '1',
  );
  t.equal(decodeEntities('&'.repeat(100_000) + '&amp;'), '&'.repeat(100_000) + '&');
  t.equal(decodeEntities('&amp&lt;&#x41;;&#1114112;'), '&amp<A;&#1114112;');
  t.match(parseXml('<a x=">" y=\'<\'>t</a>'), { ok: true, value: { attrs: { x: '>', y: '<' }, text: 't' } });
});

t.test('a bridged customer leg from mod_xml_cdr', async (t) => {
  const parsed = parseCdr(fixture('customer-answered-bridged.xml'));
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  const leg = parsed.value;
  t.match(leg, {
    uuid: 'c0ffee00-1111-4222-8333-444455556666',
    callId: 'c0ffee00-1111-4222-8333-444455556666',
    taskCode: 'T-100',
    projectCode: 'P2026',
    role: 'customer',
    flow: '1',
    direction: 'outbound',
    destinationNumber: '13800138000',
    callerIdNumber: '02158880000',
    startMs: 1795420800120,
    answerMs: 1795420806620,
    endMs: 1795420840900,
    duration: 40,
    billsec: 34,
    hangupCause: 'NORMAL_CLEARING',
    sipTermStatus: '200',
    hangupDisposition: 'recv_bye',
    gatewayCode: 'carrier-a',
    bridged: true,
    recordFile: '/var/lib/freeswitch/recordings/2026/11/23/c0ffee00-1111-4222-8333-444455556666.wav',
  });
  t.equal(leg.variables.caller_id, '"02158880000" <02158880000>', 'variables are url-decoded');
  t.match(leg.variables.sip_local_sdp_str, /^v=0\no=FreeSWITCH/, 'multi-line values survive');
});

t.test('a busy customer leg: never answered, no bridge', async (t) => {
  const parsed = parseCdr(fixture('customer-busy-486.xml'));
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.match(parsed.value, {
    destinationNumber: '13900139000',
    answerMs: null,
    billsec: 0,
    hangupCause: 'USER_BUSY',
    sipTermStatus: '486',
    hangupDisposition: 'recv_refuse',
    bridged: false,
    recordFile: null,
  });
});

t.test('what a minimal CDR falls back to', async (t) => {
  await t.test('seconds when there are no microseconds; 0 means never', async (t) => {
    const p = parseCdr(
      '<cdr><variables><uuid>u1</uuid><start_epoch>100</start_epoch><answer_epoch>0</answer_epoch>' +
        '<sip_to_user>555</sip_to_user><cc_role>nobody</cc_role><bad>%E4%B8</bad></variables></cdr>',
    );
    t.ok(p.ok);
    if (!p.ok) return;
    t.match(p.value, { startMs: 100_000, answerMs: null, endMs: null, destinationNumber: '555', role: null });
    t.equal(p.value.variables.bad, '\u00e4\u00b8', 'a broken escape keeps its bytes instead of failing');
  });
  await t.test('the uuid from the caller profile when the variable is missing', async (t) => {
    const p = parseCdr(
      '<cdr><variables/><callflow><caller_profile><uuid>u2</uuid></caller_profile></callflow></cdr>',
    );
    t.ok(p.ok && p.value.uuid === 'u2');
  });
  await t.test('refuses documents that are not CDRs', async (t) => {
    t.same(parseCdr('<xml/>'), { ok: false, error: 'root element is <xml>, not <cdr>' });
    t.same(parseCdr('<cdr/>'), { ok: false, error: 'no <variables> in the CDR' });
    t.same(parseCdr('<cdr><variables/></cdr>'), { ok: false, error: 'the CDR has no uuid' });
    t.equal(parseCdr('<cdr>').ok, false);
  });
});

t.test('merging a CDR into a call log never erases what the flow wrote', async (t) => {
  const flowRow = {
    id: 1,
    callUuid: 'c1',
    resultDetail: 32,
    result: 30,
    callerIdNumber: '1001',
    recordFile: '/rec/flow.wav',
    startTimestamp: 1000,
    billsec: null,
    hangupCause: null,
  } as unknown as CallLog;
  const merged = mergeCdrFields(flowRow, {
    resultDetail: 55,
    result: 10,
    callerIdNumber: '02158880000',
    recordFile: '/rec/cdr.wav',
    startTimestamp: 1100,
    billsec: 30,
    hangupCause: 'NORMAL_CLEARING',
    answerTimestamp: null,
    duration: undefined,
  });
  t.same(merged, { startTimestamp: 1100, billsec: 30, hangupCause: 'NORMAL_CLEARING' });
  t.same(mergeCdrFields(undefined, { resultDetail: 25, answerTimestamp: null }), { resultDetail: 25 });
});
