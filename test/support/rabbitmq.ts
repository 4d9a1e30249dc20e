// RabbitMQ for the tests of several instances (issue 20), through scripts/rabbitmq/broker.sh: a throwaway broker
// with its own node name, cookie and directories, on loopback, never the system service.
//   amqpUrl(t)       the suite's broker (CC_TEST_AMQP_URL, started by scripts/test.sh), or one of this file's own
//                    when the variable is unset, so `npx tap <file>` alone works.
//   ownRabbitMq(t)   a broker for this test alone, which it may stop and start (RabbitMQ restarted mid-stream);
//                    the suite's broker is shared by test files running in parallel and is never restarted.
// Either is removed at the test's end; broker.sh's watchdog removes it too if this process dies first.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/rabbitmq/broker.sh');

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestRabbitMq {
  /** amqp://user:pass@127.0.0.1:port/ — the same across stop and start. */
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port with the same users (after `stop`). */
  start(): Promise<void>;
}

async function broker(command: 'start' | 'stop' | 'remove', dir: string): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, command, dir, String(process.pid)], { timeout: 120_000 });
  return stdout.trim();
}

export async function ownRabbitMq(t: Teardown): Promise<TestRabbitMq> {
  const dir = mkdtempSync(join(tmpdir(), 'cc-rabbitmq-'));
  t.teardown(() => broker('remove', dir));
  const url = await broker('start', dir);
  return {
    url,
    stop: async () => void (await broker('stop', dir)),
    start: async () => void (await broker('start', dir)),
  };
}

export async function amqpUrl(t: Teardown): Promise<string> {
  return process.env.CC_TEST_AMQP_URL || (await ownRabbitMq(t)).url;
}
