import t from 'tap';
import { pickInboundTask, type InboundCandidate } from '../../src/calls/inbound-routing.js';

const gw = (
  gwCode: string,
  realm: string,
  originationCallId: string | null,
  username: string | null = null,
) => ({
  gwCode,
  realm,
  originationCallId,
  username,
});

const candidates: InboundCandidate[] = [
  {
    taskId: 1,
    taskCode: 'old',
    projectCode: 'p1',
    startedAt: 1000,
    gateways: [gw('gwA', '198.51.100.1:5060', '02100000001')],
  },
  {
    taskId: 2,
    taskCode: 'new',
    projectCode: 'p2',
    startedAt: 2000,
    gateways: [gw('gwA', '198.51.100.1:5060', '02100000001')],
  },
  {
    taskId: 3,
    taskCode: 'b',
    projectCode: 'p3',
    startedAt: 500,
    gateways: [gw('gwB', 'sip:203.0.113.9', null, '4008001234')],
  },
];
const call = { did: '', gatewayCode: '', networkIp: '', fromHost: '' };

t.test('how an inbound call finds its task, row by row', async (t) => {
  const rows: { story: string; call: typeof call; task: string | undefined }[] = [
    { story: 'cc_gateway names the gateway', call: { ...call, gatewayCode: 'gwB' }, task: 'b' },
    { story: 'the DID is the gateway’s caller id', call: { ...call, did: '02100000001' }, task: 'new' },
    { story: 'the DID is the gateway’s account', call: { ...call, did: '4008001234' }, task: 'b' },
    {
      story: '+86 is dropped only before a mobile number',
      call: { ...call, did: '+864008001234' },
      task: undefined,
    },
    {
      story: 'the carrier’s address is the realm host',
      call: { ...call, networkIp: '203.0.113.9' },
      task: 'b',
    },
    {
      story: 'the gateway beats a DID that names another task',
      call: { ...call, gatewayCode: 'gwB', did: '02100000001' },
      task: 'b',
    },
    {
      story: 'nothing matches: no task',
      call: { ...call, did: '999', networkIp: '192.0.2.1' },
      task: undefined,
    },
  ];
  for (const row of rows) t.equal(pickInboundTask(candidates, row.call)?.taskCode, row.task, row.story);
});

t.test('two running tasks on one gateway: the most recently started takes the call', async (t) => {
  t.same(pickInboundTask(candidates, { ...call, gatewayCode: 'gwA' }), {
    taskCode: 'new',
    projectCode: 'p2',
    gatewayCode: 'gwA',
  });
});
