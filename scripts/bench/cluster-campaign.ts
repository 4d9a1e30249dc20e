// Attempts/s and CPU ms per attempt with 1, 2 and 3 instances of our server (issue 20), the same total load: P
// projects of A agents each, one predictive task per project, against the FreeSWITCH emulator in its own process
// (emulator-process.ts), on one durable PostgreSQL and one RabbitMQ (cluster-instances.ts, cluster-setup.ts). Each
// instance dials only the projects it owns (the PostgreSQL leases), so the projects spread over the instances; the
// figures are the emulator's originated legs over the measured window and the instances' CPU (/proc) in it.
//
//   node --import=tsx scripts/bench/cluster-campaign.ts [--instances 1,2,3] [--projects 6] [--agents 10]
//        [--seconds 30] [--answer-ms 200] [--talk-ms 2000] [--rate 1.2]
import { cpuMs, metric, sleep, startServices, type Services } from './cluster-instances.js';
import { campaignLab, doubledNumbers, startTasks } from './cluster-setup.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const COUNTS = arg('instances', '1,2,3').split(',').map(Number);
const SECONDS = Number(arg('seconds', '30'));
const options = {
  projects: Number(arg('projects', '6')),
  agents: Number(arg('agents', '10')),
  answerMs: Number(arg('answer-ms', '200')),
  talkMs: Number(arg('talk-ms', '2000')),
  rate: Number(arg('rate', '1.2')),
  numbersPerProject: 0,
};
// Twice what the team can dial in the window, so no task runs dry.
options.numbersPerProject =
  Math.ceil(((options.agents * options.rate * SECONDS * 1000) / (options.answerMs + options.talkMs)) * 2) +
  50;

interface Figures {
  instances: number;
  attempts: number;
  attemptsPerSecond: number;
  cpuMsPerAttempt: number;
  perInstance: string;
  doubled: number;
}

async function run(services: Services, count: number): Promise<Figures> {
  const lab = await campaignLab(services, count, options);
  try {
    const { instances, fs } = lab;
    const cpu0 = instances.map((i) => cpuMs(i.child.pid!));
    const legs0 = (await fs.legs()).length;
    const orig0 = await Promise.all(instances.map((i) => metric(i.base, 'dialer.originates')));
    const t0 = Date.now();
    await startTasks(lab);
    await sleep(SECONDS * 1000 - (Date.now() - t0));
    const seconds = (Date.now() - t0) / 1000;
    const attempts = (await fs.legs()).length - legs0;
    const cpu = instances.map((i, k) => cpuMs(i.child.pid!) - cpu0[k]!);
    const orig = await Promise.all(
      instances.map((i, k) => metric(i.base, 'dialer.originates').then((n) => n - orig0[k]!)),
    );
    return {
      instances: count,
      attempts,
      attemptsPerSecond: attempts / seconds,
      cpuMsPerAttempt: cpu.reduce((a, b) => a + b, 0) / attempts,
      perInstance: instances
        .map((i, k) => `${i.id}: ${orig[k]} originates, ${Math.round(cpu[k]!)} ms CPU`)
        .join('; '),
      doubled: await doubledNumbers(lab),
    };
  } finally {
    await lab.close();
  }
}

const services = startServices();
try {
  const rows: Figures[] = [];
  for (const count of COUNTS) {
    const f = await run(services, count);
    console.error(JSON.stringify(f));
    rows.push(f);
  }
  const o = options;
  console.log(
    `${o.projects} projects × ${o.agents} agents, rate ${o.rate}, answer ${o.answerMs} ms, talk ${o.talkMs} ms, ${SECONDS} s measured (${process.version})`,
  );
  console.log(
    '| instances | attempts | attempts/s | CPU ms per attempt (all instances) | numbers logged twice | per instance |',
  );
  console.log('|---:|---:|---:|---:|---:|---|');
  for (const r of rows)
    console.log(
      `| ${r.instances} | ${r.attempts} | ${r.attemptsPerSecond.toFixed(1)} | ${r.cpuMsPerAttempt.toFixed(2)} | ${r.doubled} | ${r.perInstance} |`,
    );
} finally {
  services.close();
}
