// Live tier: agents' and managers' pages behind one address in front of several instances (issue 20, item 5;
// test/live/cluster-front-scenarios.ts): HAProxy terminating TLS in front of three instances on PostgreSQL +
// RabbitMQ, the workbench and the manager page in Chromium over https/wss, kill -9 of the instance they are on.
import { runLiveGroup } from './tap.js';

process.env.CC_LIVE_STORE = 'pg';
await runLiveGroup('cluster-front', 180_000);
