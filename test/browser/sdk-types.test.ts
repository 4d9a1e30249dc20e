// dist/sdk/mysoftphone.d.ts is what a TypeScript agent desktop compiles against: a small consumer must type-check,
// and misuse must not (each @ts-expect-error below fails the compile if the types went loose).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

const consumer = (sdk: string) => `
import MySoftPhoneDefault, { MySoftPhone, type CallEndEvent, type SoftPhoneSession, type TransferResult } from '${sdk}';

const phone = new MySoftPhone(
  {
    authorizationUser: '1001',
    password: 'pw',
    wsServers: ['wss://pbx.example.com:7443'],
    uri: 'sip:1001@pbx.example.com',
    remoteVideoId: 'remote',
    localVideoId: 'local',
  },
  async (target: string) => target.length > 0,
);
const same: typeof MySoftPhone = MySoftPhoneDefault;
phone.on('registrationFailed', ({ error }) => {
  const kind: 'wrong-password' | 'server-unreachable' | 'registration-rejected' | 'media-element-missing' | 'answer-confirm-failed' = error.kind;
  console.log(kind, error.message);
});
phone.on('failed', (e: CallEndEvent) => console.log(e.cause, e.statusCode, e.message));
const session: SoftPhoneSession = phone.call('1002');
session.on('dtmf', ({ tone }) => console.log(tone.toUpperCase()));
const held: Promise<boolean> = session.hold();
const moved: Promise<TransferResult> = session.transfer('1003');
const sent: boolean = session.sendDTMF('12#');
const done: Promise<boolean> = phone.unregister();
phone.agentLogin();
phone.agentLogoff();
phone.enterFifo('p1');
console.log(same, held, moved, sent, done);

// @ts-expect-error a required option is missing
new MySoftPhone({ authorizationUser: '1001' }, () => true);
// @ts-expect-error no such event
phone.on('connected', () => undefined);
// @ts-expect-error a failed call's cause is one of ours, not any string
const cause: 'hangup' = ({} as CallEndEvent).cause;
console.log(cause);
`;

t.test('a TypeScript consumer compiles against dist/sdk/mysoftphone.d.ts, and misuse does not', async (t) => {
  const build = spawnSync(process.execPath, ['scripts/build-sdk.mjs'], { cwd: root, encoding: 'utf8' });
  t.equal(build.status, 0, 'the SDK builds', { output: build.stdout + build.stderr });
  const dir = mkdtempSync(join(tmpdir(), 'sdk-consumer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'consumer.ts'), consumer(join(root, 'dist/sdk/mysoftphone.js')));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2020',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2020', 'DOM'],
        types: [],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
      },
      files: ['consumer.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {
    encoding: 'utf8',
  });
  t.equal(tsc.status, 0, 'tsc accepts the consumer', { output: tsc.stdout + tsc.stderr });
});
