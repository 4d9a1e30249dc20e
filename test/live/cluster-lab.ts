// Several instances of our server in one live lab (issue 20): a RabbitMQ of the group's own and 2-3 server processes
// side by side on the lab's PostgreSQL database (the group runs with CC_LIVE_STORE=pg). Everything runs inside the
// group's network namespace: the broker (scripts/rabbitmq/broker.sh: its own node name, Erlang cookie and epmd port,
// so it meets no other broker of the machine) listens on the namespace's loopback; PostgreSQL is the suite's cluster,
// reached through its Unix socket (a file, so it crosses the namespace) and running as its own user.
//
// Instance 0 listens where a lone server does (HTTP 8080, socket 8084): FreeSWITCH's xml_curl, xml_cdr and dialplan
// `socket` reach it; the others take 8090/8094, 8100/8104. Each names its own socket in CC_SOCKET_REACH_AT, so the
// legs it originates come back to it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root, sleep, waitFor, type Lab, type Proc } from './lab.js';

const run = promisify(execFile);
const BROKER = join(root, 'scripts/rabbitmq/broker.sh');

export interface Instance {
  index: number;
  /** CC_INSTANCE_ID */
  id: string;
  httpPort: number;
  socketPort: number;
  /** http://127.0.0.1:<httpPort> */
  base: string;
  proc?: Proc;
}

/** What /health says about the cluster, as far as it says it (the lease keeper adds the owned projects). */
export interface Health {
  status?: string;
  instance?: string;
  metrics?: Record<string, number>;
  [key: string]: unknown;
}

export class Cluster {
  readonly instances: Instance[];
  private readonly brokerDir: string;
  amqpUrl = '';

  constructor(
    readonly lab: Lab,
    size: number,
    /** Settings every instance gets (the lease TTL of the group...). */
    private readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.brokerDir = join(lab.dir, 'rabbitmq');
    this.instances = Array.from({ length: size }, (_, index) => ({
      index,
      id: `cc-${String.fromCharCode(97 + index)}`,
      httpPort: 8080 + index * 10,
      socketPort: 8084 + index * 10,
      base: `http://127.0.0.1:${8080 + index * 10}`,
    }));
    lab.onClose(() => this.broker('remove').then(() => undefined));
  }

  private async broker(command: 'start' | 'stop' | 'remove'): Promise<string> {
    // The owner pid: broker.sh's watchdog removes the broker if this process dies without closing the lab.
    const { stdout } = await run('bash', [BROKER, command, this.brokerDir, String(process.pid)], {
      timeout: 120_000,
    });
    return stdout.trim();
  }

  /** Starts the group's RabbitMQ (again, after stopBroker: the same port, users and URL). */
  async startBroker(): Promise<void> {
    const url = await this.broker('start');
    if (this.amqpUrl && url !== this.amqpUrl)
      throw new Error(`the broker came back at ${url}, not ${this.amqpUrl}`);
    this.amqpUrl = url;
  }

  stopBroker(): Promise<string> {
    return this.broker('stop');
  }

  /** Starts instance i (again, after a kill or a stop) and waits for its HTTP port. */
  async start(i: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<Instance> {
    const inst = this.instances[i]!;
    if (inst.proc && inst.proc.child.exitCode === null && inst.proc.child.signalCode === null)
      throw new Error(`${inst.id} is still running`);
    if (!this.amqpUrl) throw new Error('start the broker first');
    inst.proc = await this.lab.launchServer(inst.id, inst.httpPort, {
      CC_INSTANCE_ID: inst.id,
      CC_AMQP_URL: this.amqpUrl,
      CC_SOCKET_PORT: String(inst.socketPort),
      CC_SOCKET_REACH_AT: `127.0.0.1:${inst.socketPort}`,
      ...this.env,
      ...extraEnv,
    });
    return inst;
  }

  running(i: number): boolean {
    const c = this.instances[i]?.proc?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** Sends `signal` to instance i's process; for SIGKILL and SIGTERM waits until it is gone (SIGTERM: 20 s). */
  async signal(i: number, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const inst = this.instances[i]!;
    const child = inst.proc?.child;
    if (!child || !this.running(i)) throw new Error(`${inst.id} is not running`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    if (signal === 'SIGKILL') await exited;
    if (signal === 'SIGTERM')
      await Promise.race([
        exited,
        sleep(20_000).then(() => {
          throw new Error(`${inst.id} did not end within 20 s of SIGTERM`);
        }),
      ]);
  }

  /** GET /health of instance i (no signature needed), or undefined when it does not answer within 2 s. */
  async health(i: number): Promise<Health | undefined> {
    try {
      const res = await fetch(`${this.instances[i]!.base}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { data?: Health };
      return body.data;
    } catch {
      return undefined;
    }
  }

  /** Waits until every running instance's bus is up (cluster.amqp.up on /health). */
  async busUp(timeoutMs = 30_000): Promise<void> {
    for (const inst of this.instances.filter((x) => this.running(x.index)))
      await waitFor(
        `${inst.id}'s RabbitMQ link up (cluster.amqp.up on /health)`,
        async () => (await this.health(inst.index))?.metrics?.['cluster.amqp.up'] === 1,
        timeoutMs,
        200,
      );
  }

  output(i: number): string {
    return this.instances[i]?.proc?.out.join('\n') ?? '';
  }
}
