// The contract suite in live mode (FS_LIVE=1) pointed at the emulator's event socket but given no peer dial strings:
// each originate test must fail and name the missing variable, never pass without having dialled (#22.8).
import { spawn } from 'node:child_process';
import t from 'tap';
import { root } from '../browser/namespace-run.js';
import { startEmulator } from '../freeswitch-emulator/index.js';

t.test('FS_LIVE=1 without dial strings fails each originate test with the reason', async (t) => {
  const emu = await startEmulator({ timeScale: 0.01 });
  t.teardown(() => emu.close());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FS_LIVE: '1',
    FS_HOST: emu.host,
    FS_PORT: String(emu.port),
    FS_PASSWORD: emu.password,
  };
  for (const v of ['FS_ANSWER_DIAL', 'FS_BUSY_DIAL', 'FS_NOANSWER_DIAL', 'TAP', 'TAP_CHILD_ID'])
    delete env[v];
  // spawnSync would block the emulator's event loop, which the suite's protocol tests talk to.
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import=tsx', 'test/contract/esl-protocol.test.ts'], {
      cwd: root,
      env,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('close', (code) => resolve({ code, out }));
  });
  t.not(code, 0, 'the suite fails');
  for (const peer of ['ANSWER', 'BUSY', 'NOANSWER'])
    t.match(
      out,
      new RegExp(`not ok \\d+ - FS_LIVE=1 needs FS_${peer}_DIAL`),
      `the ${peer} test names FS_${peer}_DIAL`,
    );
  t.match(out, /ok 1 - the switch asks for auth/, 'the protocol tests ran against the given socket');
});
