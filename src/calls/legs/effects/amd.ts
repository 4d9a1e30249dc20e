// Answering-machine detection on the leg (issue 23): FreeSWITCH streams the parked leg's audio to our UDP listener
// (`unicast`), the classifier and then the beep detector hear it, and their verdicts come back to the flow as events.
// FreeSWITCH 1.11.1 has no nounicast: stopping means no longer listening, and the port FreeSWITCH bound for the leg
// is handed out again only when the leg is over (LegRun.finish releases it).
import { BeepWait } from '../../amd/beep-wait.js';
import { AmdClassifier } from '../../amd/classifier.js';
import { DEFAULT_AMD_THRESHOLDS, resolveThresholds, type AmdThresholds } from '../../amd/settings.js';
import { FsCommand, unicastHeaders } from '../../../switch/fs-commands.js';
import type { EffectHandlers, LegContext } from './context.js';

/** The task's thresholds (checked when they were stored; a bad stored value falls back to the defaults). */
function thresholdsOf(ctx: LegContext): AmdThresholds {
  const r = resolveThresholds(ctx.leg.amd?.thresholds);
  return r.ok ? r.value : { ...DEFAULT_AMD_THRESHOLDS };
}

/** No analysis possible (no detector, no free port, FreeSWITCH refused): the call goes on as for a person. */
function notSure(ctx: LegContext, reason: string): void {
  ctx.deps.metrics.inc(`amd.unavailable.${reason}`);
  queueMicrotask(() => ctx.push({ kind: 'amd-verdict', verdict: 'notsure', reason, atMs: 0 }));
}

function listen(ctx: LegContext): void {
  const runtime = ctx.deps.amd;
  if (!runtime || !ctx.leg.amd) return notSure(ctx, 'no-detector');
  const t = thresholdsOf(ctx);
  const classifier = new AmdClassifier(t);
  let phase: 'classify' | 'decided' | 'beep' | 'done' = 'classify';
  let beep: BeepWait | undefined;
  const stream = runtime.streams.open((frame) => {
    if (phase === 'classify') {
      const d = classifier.feed(frame);
      if (!d) return;
      phase = 'decided';
      ctx.push({ kind: 'amd-verdict', verdict: d.verdict, reason: d.reason, atMs: d.atMs });
    } else if (phase === 'beep' && beep) {
      const end = beep.feed(frame);
      if (!end) return;
      phase = 'done';
      ctx.push({ kind: 'amd-beep', reason: end.reason });
    }
  });
  if (!stream) return notSure(ctx, 'no-port');
  ctx.scratch.amd = {
    stream,
    waitBeep: () => {
      beep = new BeepWait(t, classifier.sampleRate);
      phase = 'beep';
    },
  };
  ctx.deps.metrics.inc('amd.analyses');
  const call = ctx.live.get(ctx.leg.callId);
  if (call) call.amd = 'analysing';
  void ctx.session.sendmsg(Object.fromEntries(unicastHeaders(stream.fs, stream.us))).then((r) => {
    if (r.ok && !r.value.text.startsWith('-ERR')) return;
    stream.mute();
    if (phase === 'classify') notSure(ctx, 'unicast-refused');
  });
}

export const amdEffects = {
  'amd-listen': listen,
  'amd-wait-beep': (ctx) => {
    if (ctx.scratch.amd) return ctx.scratch.amd.waitBeep();
    // No stream to hear the beep in: the message starts now rather than never.
    queueMicrotask(() => ctx.push({ kind: 'amd-beep', reason: 'timeout' }));
  },
  'amd-stop': (ctx) => ctx.scratch.amd?.stream.mute(),
  'amd-decided': (ctx, e) => {
    const { deps, leg } = ctx;
    deps.metrics.inc(`amd.verdicts.${e.outcome.verdict}`);
    const call = ctx.live.get(leg.callId);
    if (call) call.amd = e.outcome.verdict === 'machine' ? 'machine' : undefined;
    // On the channel, so its CDR says so even when this process is gone by the time the call ends.
    void ctx.session.api(FsCommand.setvar(leg.uuid, 'cc_amd', e.outcome.verdict));
    deps.amd?.onVerdict?.(leg.callId, e.outcome.verdict);
  },
} satisfies Partial<EffectHandlers>;
