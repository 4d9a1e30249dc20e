// Live tier: agents' pages behind one address in front of several instances (issue 20, item 5;
// test/live/cluster-front-scenarios.ts): HAProxy in front of three instances on PostgreSQL + RabbitMQ, the workbench
// in Chromium, kill -9 of the instance it is on.
import { runLiveGroup } from './tap.js';

process.env.CC_LIVE_STORE = 'pg';
await runLiveGroup('cluster-front', 180_000);
