// Live tier: several instances of our server side by side (issue 20; test/live/cluster-scenarios.ts): three
// instances on one PostgreSQL database (the suite's cluster, through its Unix socket) and one RabbitMQ started inside
// the group's namespace (scripts/rabbitmq/broker.sh), against the real FreeSWITCH.
import { runLiveGroup } from './tap.js';

process.env.CC_LIVE_STORE = 'pg';
await runLiveGroup('cluster', 300_000);
