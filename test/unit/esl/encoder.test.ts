import t from 'tap';
import {
  encodeApi,
  encodeAuth,
  encodeBgapi,
  encodeCommand,
  encodeExecute,
  encodeHangup,
  encodeSendmsg,
  EslParser,
  lineProblem,
} from '../../../src/esl/index.js';
import { readCapture } from '../../support/captures.js';

const sends = (name: string): string[] =>
  readCapture(name).records.flatMap((r) => (r.kind === 'send' ? [r.bytes.toString('utf8')] : []));

t.test('given the outbound capture, our encoder writes the same bytes the recorder sent', (t) => {
  const sent = sends('outbound-socket-uac-4001-answer-playback-bridge-hangup.txt');
  const uuid = (i: number): string => /event-uuid: (\S+)/.exec(sent[i]!)![1]!;
  t.equal(encodeCommand('connect').toString(), sent[0]);
  t.equal(encodeCommand('myevents').toString(), sent[1]);
  t.equal(encodeCommand('linger').toString(), sent[2]);
  t.equal(encodeApi('version').toString(), sent[3]);
  t.equal(encodeExecute({ app: 'answer', eventUuid: uuid(4) }).toString(), sent[4]);
  t.equal(
    encodeExecute({ app: 'playback', arg: 'tone_stream://%(1000,0,440)', eventUuid: uuid(5) }).toString(),
    sent[5],
    'app arguments go raw: FreeSWITCH does not URL-decode sendmsg headers',
  );
  t.equal(
    encodeExecute({
      app: 'bridge',
      arg: '{origination_caller_id_number=4000}sofia/external/13900000000@127.0.0.1:15091',
      eventUuid: uuid(6),
    }).toString(),
    sent[6],
  );
  t.equal(encodeHangup('NORMAL_CLEARING').toString(), sent[7]);
  t.equal(encodeCommand('exit').toString(), sent[8]);
  t.end();
});

t.test('given the inbound captures, auth, subscriptions, filters and sendmsg to a uuid match too', (t) => {
  const sent = sends('inbound-event-subscriptions-filters-log.txt');
  t.equal(encodeAuth('ClueCon').toString(), sent[0]);
  t.equal(
    encodeCommand(
      'event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CUSTOM sofia::register conference::maintenance',
    ).toString(),
    sent[1],
  );
  t.equal(encodeCommand('filter Event-Name BACKGROUND_JOB').toString(), sent[3]);
  const playback = sends('inbound-playback-wav-record-session.txt')[4]!;
  const parsed = new EslParser().push(
    Buffer.from(
      encodeSendmsg({
        uuid: '223eeb9a-2644-4b0d-9d35-5fe698d54d21',
        headers: {
          'call-command': 'execute',
          'execute-app-name': 'playback',
          'execute-app-arg': '/var/fsrec/audio/tone-3s-8k.wav',
          'event-lock': 'true',
        },
      }),
    ),
  );
  t.equal(
    encodeSendmsg({ uuid: '223eeb9a-2644-4b0d-9d35-5fe698d54d21', headers: parsed[0]!.headers }).toString(),
    playback,
  );
  t.end();
});

t.test('given a bgapi, the Job-UUID travels as a header after the command line', (t) => {
  t.equal(
    encodeBgapi('originate sofia/gw/1 &park()', 'job-1').toString(),
    'bgapi originate sofia/gw/1 &park()\nJob-UUID: job-1\n\n',
  );
  t.end();
});

t.test('given an execute with lock, loops and a uuid, every option is a header', (t) => {
  t.equal(
    encodeExecute({
      uuid: 'u1',
      app: 'playback',
      arg: 'a.wav',
      eventUuid: 'e1',
      eventLock: true,
      loops: 2,
    }).toString(),
    'sendmsg u1\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: a.wav\nloops: 2\nevent-lock: true\nevent-uuid: e1\n\n',
  );
  t.equal(
    encodeHangup('USER_BUSY', 'u2').toString(),
    'sendmsg u2\ncall-command: hangup\nhangup-cause: USER_BUSY\n\n',
  );
  t.end();
});

t.test('given an app argument with a line break, it travels as a text/plain body counted in bytes', (t) => {
  const arg = '第一行\nsecond';
  const bytes = encodeExecute({ app: 'set', arg, eventUuid: 'e' });
  const text = bytes.toString();
  t.notMatch(text, /execute-app-arg/);
  t.match(text, `content-type: text/plain\ncontent-length: ${Buffer.byteLength(arg)}\n\n${arg}`);
  t.ok(text.endsWith(arg), 'nothing after the body');
  t.end();
});

t.test('given a line break in a command or header, the encoder refuses and lineProblem says why', (t) => {
  t.equal(lineProblem('api status'), undefined);
  t.equal(lineProblem('api status\n\nexit'), 'contains a line break');
  t.throws(() => encodeCommand('api status\nexit'), RangeError);
  t.throws(() => encodeSendmsg({ headers: { 'call-command': 'hangup\r\nx: y' } }), RangeError);
  t.end();
});
