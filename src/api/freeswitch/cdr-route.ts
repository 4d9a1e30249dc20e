// mod_xml_cdr posts every leg's CDR here (freeswitch-conf/autoload_configs/xml_cdr.conf.xml): `cdr=<url-encoded
// XML>` as a form (encode=true, our config) or the XML itself as text/xml. FreeSWITCH retries anything but 2xx and
// finally writes the record to err-log-dir, so: a record we have already taken is a 200 no-op; a database failure
// is a 500 (retried); a body that is not a CDR is a 400 (kept on FreeSWITCH's disk for a human).
//
// Which legs count: a customer leg (cc_role=customer, or a cc_call_id without a role) becomes or completes the call
// log keyed by cc_call_id (else its own uuid). An agent leg (cc_role=agent|manager with cc_call_id) only fills the
// agent's extension and the recording path on that call's log if the flow left them empty. Legs without our
// variables (an agent's own calls, registrations' OPTIONS...) are acknowledged and ignored.
import type { FastifyPluginAsync } from 'fastify';
import { priceCal, priceRuleOf } from '../../switch/billing.js';
import { parseCdr, type CdrLeg } from '../../switch/cdr.js';
import { classifyCall, resultOfDetail } from '../../switch/results.js';
import { ScheduleType } from '../../core/codes.js';
import { FsHttpPath } from '../../core/freeswitch.js';
import type { CallLogFields, CallLogsRepo } from '../../db/repos/call-logs.js';
import type { GatewaysRepo } from '../../db/repos/gateways.js';
import type { ApiContext } from '../context.js';
import { fsAccessGuard, fsFields } from './routes.js';

/** Where recordings go after the CDR (the RecordingUploader); absent when no store is configured. */
export interface RecordingQueue {
  enqueue(callUuid: string, filePath: string, callStartMs: number): void;
}

export type CdrContext = ApiContext & { repos: { callLogs: CallLogsRepo } };

type IngestOutcome =
  | { kind: 'call-log'; callUuid: string; created: boolean }
  | { kind: 'duplicate'; callUuid: string }
  | { kind: 'agent-leg'; callUuid: string; matched: boolean }
  | { kind: 'ignored'; reason: string };

interface IngestDeps {
  callLogs: CallLogsRepo;
  gateways: Pick<GatewaysRepo, 'get' | 'byCode'>;
  recordings?: RecordingQueue;
  now: number;
  /**
   * The call's flow is still running or about to store its outcome here: the CDR brings its measurements but not
   * a result, because only the flow knows whether an agent took the call or the queue timed out.
   */
  flowOwns?: (callId: string) => boolean;
  /** Closes the task number dialled as this call, if it is still 'dialing' (a call that outlived our process). */
  settleNumber?: (callUuid: string, resultDetail: number) => Promise<void>;
}

/** The call-log fields a customer leg's CDR supplies (merged by the repo: it never erases the flow's). */
async function customerFields(leg: CdrLeg, deps: IngestDeps, key: string): Promise<CallLogFields> {
  const existing = await deps.callLogs.get(key);
  const refs = await deps.callLogs.resolveCodes({ taskCode: leg.taskCode, projectCode: leg.projectCode });
  const gateway =
    (existing?.gatewayId ? await deps.gateways.get(existing.gatewayId) : undefined) ??
    (leg.gatewayCode ? await deps.gateways.byCode(leg.gatewayCode) : undefined);
  const rule = existing?.priceRule ?? (gateway ? priceRuleOf(gateway) : null);
  const outcome = classifyCall({
    answered: leg.answerMs !== null,
    hangupCause: leg.hangupCause ?? '',
    sipTermStatus: leg.sipTermStatus ?? undefined,
    hangupDisposition: leg.hangupDisposition ?? undefined,
    // Without the flow's word, a bridge is the only sign an agent took the call.
    flow: {
      agentConnected: leg.bridged,
      waitingForAgent: false,
      playOnly: leg.flow === String(ScheduleType.playOnly),
      // Answering-machine detection's verdict, set on the channel as it fell (cc_amd, issue 23).
      amd: leg.variables.cc_amd === 'machine' ? { verdict: 'machine' } : undefined,
    },
  });
  const inbound = leg.direction === 'inbound';
  return {
    taskId: refs.taskId,
    projectId: refs.projectId,
    callTaskCode: leg.taskCode,
    direction: inbound ? 'inbound' : 'outbound',
    callerIdNumber: leg.agent,
    // The customer's number: dialled by us, or the caller on an inbound call.
    destinationNumber: (inbound ? leg.callerIdNumber : leg.destinationNumber) ?? leg.destinationNumber,
    gatewayId: gateway?.id ?? null,
    startTimestamp: leg.startMs,
    answerTimestamp: leg.answerMs,
    endTimestamp: leg.endMs,
    duration: leg.duration,
    billsec: leg.billsec,
    hangupCause: leg.hangupCause,
    sipTermStatus: leg.sipTermStatus,
    hangupDisposition: leg.hangupDisposition,
    recordFile: keptRecording(leg),
    priceRule: rule,
    priceCal: leg.billsec === null ? null : priceCal(rule, leg.billsec),
    amdVerdict: nonEmptyVar(leg.variables.cc_amd),
    ...(deps.flowOwns?.(key)
      ? {}
      : {
          result: existing?.resultDetail != null ? resultOfDetail(existing.resultDetail) : outcome.result,
          resultDetail: outcome.resultDetail,
        }),
  };
}

const nonEmptyVar = (v: string | undefined): string | null => (v ? v : null);

/** FreeSWITCH deletes a recording that held no audio and sets RECORD_DISCARDED: such a CDR names no recording. */
const keptRecording = (leg: CdrLeg): string | null =>
  leg.variables.RECORD_DISCARDED === 'true' ? null : leg.recordFile;

/** Applies one CDR. Synchronous SQLite: either everything is written or the caller gets the exception (→ 500). */
async function ingestCdr(leg: CdrLeg, deps: IngestDeps): Promise<IngestOutcome> {
  const isCustomer = leg.role === 'customer' || (leg.role === null && leg.callId !== null);
  if (!isCustomer) {
    if (leg.callId === null) return { kind: 'ignored', reason: 'not a call-center leg (no cc_call_id)' };
    const agentFields = {
      callerIdNumber: leg.dialedUser ?? leg.destinationNumber,
      recordFile: leg.recordFile,
    };
    // Fills the call's row where it has nothing; when the agent's CDR came before the customer's (or the customer
    // leg was never ours to log) it keeps what it knows in a row of its own call id, which the customer's CDR and
    // the flow complete. One step: the customer's CDR may be creating the row at the same moment.
    const refs = await deps.callLogs.resolveCodes({ taskCode: leg.taskCode, projectCode: leg.projectCode });
    const { created } = await deps.callLogs.fillOrCreate(
      leg.callId,
      agentFields,
      {
        taskId: refs.taskId,
        projectId: refs.projectId,
        callTaskCode: leg.taskCode,
        // On an agent leg the caller id we set is the customer's number.
        destinationNumber: leg.callerIdNumber ?? '',
      },
      deps.now,
    );
    return { kind: 'agent-leg', callUuid: leg.callId, matched: !created };
  }
  const key = leg.callId ?? leg.uuid;
  const before = await deps.callLogs.get(key);
  if (before?.cdrReceived) return { kind: 'duplicate', callUuid: key };
  const row = await deps.callLogs.mergeCdr(key, await customerFields(leg, deps, key), deps.now);
  if (row.resultDetail !== null) await deps.settleNumber?.(key, row.resultDetail);
  if (row.recordFile && !row.recordFileQiniu && deps.recordings)
    deps.recordings.enqueue(key, row.recordFile, row.startTimestamp ?? deps.now);
  return { kind: 'call-log', callUuid: key, created: before === undefined };
}

type FsBody = Record<string, string | undefined>;

/**
 * The largest CDR body taken (413 above; FreeSWITCH keeps the record in its err-log-dir). A real record is 10–60 KiB;
 * the parser is linear, and this bound keeps the worst record to a few milliseconds of the event loop
 * (scripts/bench/cdr-parser.ts).
 */
export const CDR_BODY_LIMIT = 512 * 1024;

export const cdrRoutes: FastifyPluginAsync<{
  ctx: CdrContext;
  recordings?: RecordingQueue;
  flowOwns?: (callId: string) => boolean;
  settleNumber?: (callUuid: string, resultDetail: number) => Promise<void>;
}> = async (app, { ctx, recordings, flowOwns, settleNumber }) => {
  app.addHook('onRequest', fsAccessGuard(ctx));
  // encode=false posts the XML as text/xml; the app's formbody normally parses encode=true, but the plugin must
  // stand on its own too (tests, other compositions).
  if (!app.hasContentTypeParser('text/xml'))
    app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded'))
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

  const options = { schema: { hide: true }, bodyLimit: CDR_BODY_LIMIT };
  app.post<{ Body: FsBody | string }>(FsHttpPath.cdr, options, async (req, reply) => {
    reply.type('text/plain; charset=utf-8');
    const text = typeof req.body === 'string' ? req.body : fsFields(req.body).cdr;
    if (!text) return reply.status(400).send('expected a form field "cdr" or a text/xml body');
    const parsed = parseCdr(text);
    if (!parsed.ok) {
      ctx.metrics.inc('cdr.rejected');
      req.log.warn({ error: parsed.error, uuid: (req.query as FsBody).uuid }, 'CDR refused');
      return reply.status(400).send(`not a CDR: ${parsed.error}`);
    }
    try {
      const outcome = await ingestCdr(parsed.value, {
        callLogs: ctx.repos.callLogs,
        gateways: ctx.repos.gateways,
        recordings,
        flowOwns,
        settleNumber,
        now: ctx.clock.now(),
      });
      ctx.metrics.inc(`cdr.${outcome.kind}`);
      req.log.debug({ uuid: parsed.value.uuid, outcome }, 'CDR taken');
      return reply.send(outcome.kind === 'duplicate' ? 'OK (already recorded)' : 'OK');
    } catch (err) {
      ctx.metrics.inc('cdr.failed');
      req.log.error({ err, uuid: parsed.value.uuid }, 'CDR not stored; FreeSWITCH will retry');
      return reply.status(500).send('could not store the CDR; retry');
    }
  });
};
