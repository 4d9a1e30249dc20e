// A customer's CDR and its agent's CDR arrive at the same moment (mod_xml_cdr posts each leg's from its own thread).
// The agent's CDR fills what the call's row lacks and never overwrites what the customer's wrote (its recording):
// here the customer's row appears in the middle of the agent's CDR being taken, as it did on PostgreSQL in the
// live faults group. Runs on both stores (cdr-agent-race-pg.test.ts).
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import t from 'tap';
import { installEnvelopeHandlers } from '../../src/api/envelope.js';
import { cdrRoutes, type CdrContext } from '../../src/api/freeswitch/cdr-route.js';
import { FsHttpPath } from '../../src/core/freeswitch.js';
import { fsAuth, startTestApp } from '../support/app.js';

const CALL = 'c0ffee00-1111-4222-8333-444455556666';
const RECORDING = '/rec/customer.wav';
const agentLeg =
  `<cdr><channel_data><direction>outbound</direction></channel_data><variables><uuid>agent-leg</uuid>` +
  `<cc_role>agent</cc_role><cc_call_id>${CALL}</cc_call_id><dialed_user>1001</dialed_user>` +
  `<hangup_cause>NORMAL_CLEARING</hangup_cause></variables></cdr>`;

t.test("the customer's row appearing while the agent's CDR is taken keeps its recording", async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const real = ta.app.ctx.repos.callLogs;
  let raced = false;
  // The agent's CDR looks up its task and project before it writes: the customer's CDR commits right then.
  const callLogs: typeof real = {
    ...real,
    async resolveCodes(codes) {
      if (!raced) {
        raced = true;
        await real.mergeCdr(
          CALL,
          { destinationNumber: '13800000001', recordFile: RECORDING, billsec: 8 },
          ta.clock.now(),
        );
      }
      return real.resolveCodes(codes);
    },
  };
  const ctx: CdrContext = { ...ta.app.ctx, repos: { ...ta.app.ctx.repos, callLogs } };
  const http = Fastify({ logger: false });
  await http.register(formbody);
  installEnvelopeHandlers(http);
  await http.register(cdrRoutes, { ctx });
  t.teardown(() => http.close());
  const res = await http.inject({
    method: 'POST',
    url: `${FsHttpPath.cdr}?uuid=agent-leg`,
    remoteAddress: '127.0.0.1',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: fsAuth(ta.config.fsHttpSecret).authorization,
    },
    payload: `cdr=${encodeURIComponent(agentLeg)}`,
  });
  t.equal(res.statusCode, 200, res.body);
  t.ok(raced, 'the customer row appeared mid-way');
  t.match(await real.get(CALL), {
    recordFile: RECORDING,
    callerIdNumber: '1001',
    destinationNumber: '13800000001',
    billsec: 8,
  });
});
