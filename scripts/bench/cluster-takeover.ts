// Takeover time after kill -9 of an owner (issue 20): a campaign on `count` instances (cluster-setup.ts: the
// emulator in its own process, one durable PostgreSQL, one RabbitMQ); each round kills the owner of the first
// project mid-campaign, and measures from the kill to (1) every project it owned held by a live survivor
// (project_leases, database time) and (2) a survivor starting a call of them (a call log added after the kill).
// The killed instance is started again before the next round. Median and worst over the rounds.
//
//   node --import=tsx scripts/bench/cluster-takeover.ts [--instances 2] [--rounds 5] [--projects 4] [--agents 5]
import { metric, query, sleep, startInstance, startServices, stopInstance } from './cluster-instances.js';
import { campaignLab, doubledNumbers, projectOwners, startTasks, waitUntil } from './cluster-setup.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : Number(def);
};
const COUNT = arg('instances', '2');
const ROUNDS = arg('rounds', '5');
const options = {
  projects: arg('projects', '4'),
  agents: arg('agents', '5'),
  answerMs: 200,
  talkMs: 2000,
  rate: 1.2,
  numbersPerProject: 5000,
};

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `median ${Math.round(median)} ms, worst ${Math.round(s.at(-1)!)} ms (${xs.map(Math.round).join(', ')})`;
};

const services = startServices();
const lab = await campaignLab(services, COUNT, options);
try {
  await startTasks(lab);
  const taken: number[] = [];
  const resumed: number[] = [];
  let notResumed = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    await sleep(4000);
    const owners = await projectOwners(lab);
    const victimBase = owners.get(lab.projects[0]!)!;
    const index = lab.instances.findIndex((i) => i.base === victimBase);
    const lost = lab.projects.filter((p) => owners.get(p) === victimBase);
    const survivors = lab.instances.filter((_, k) => k !== index);
    const before = await Promise.all(survivors.map((i) => metric(i.base, 'dialer.originates')));
    await stopInstance(lab.instances[index]!, 'SIGKILL');
    const killedAt = Date.now();
    await waitUntil(
      `${lost.join(', ')} held by a survivor`,
      async () => {
        const now = await projectOwners(lab);
        return lost.every((p) => now.has(p) && now.get(p) !== victimBase);
      },
      60_000,
    );
    taken.push(Date.now() - killedAt);
    // A call of a lost project logged after the kill: a survivor dials it (add_time is set when the call starts).
    const lostTasks = lost.map((p) => `${p}t`);
    // Bounded: a survivor that never dials the project again (README, "Not covered yet") is reported, not waited on.
    const dialled = await waitUntil(
      'a call of a lost project started by a survivor',
      async () => {
        const [r] = await query<{ n: string }>(
          lab.databaseUrl,
          'SELECT count(*) n FROM call_logs WHERE call_task_code = ANY($1) AND add_time > $2',
          [lostTasks, killedAt],
        );
        return Number(r!.n) > 0;
      },
      30_000,
    ).then(
      () => true,
      () => false,
    );
    if (dialled) resumed.push(Date.now() - killedAt);
    else notResumed++;
    console.error(
      `round ${round}: killed ${lab.instances[index]!.id} owning ${lost.join(', ')}; held after ${taken.at(-1)} ms, ${dialled ? `dialling after ${resumed.at(-1)} ms` : 'no call of it within 30 s'} (survivors' originates at the kill ${before.join(',')})`,
    );
    lab.instances[index] = await startInstance(lab.settings(index));
  }
  const doubled = await doubledNumbers(lab);
  console.log(
    `kill -9 of an owner mid-campaign, ${COUNT} instances, ${options.projects} projects × ${options.agents} agents, ${ROUNDS} rounds (${process.version})`,
  );
  console.log('| figure | value |\n|---|---:|');
  console.log(`| kill → every lost project held by a survivor | ${stats(taken)} |`);
  console.log(
    `| kill → a survivor starting a call of a lost project | ${resumed.length ? stats(resumed) : '-'}; ${notResumed} of ${ROUNDS} rounds without one within 30 s of the takeover |`,
  );
  console.log(`| numbers with two call logs (dialled twice) | ${doubled} |`);
} finally {
  await lab.close();
  services.close();
}
