// Effects that play, record or collect on the leg itself.
import { HOLD_FALLBACK, HOLD_MUSIC } from '../../../core/freeswitch.js';
import { FsApp, FsCommand } from '../../../switch/fs-commands.js';
import type { EffectHandlers } from './context.js';

export const mediaEffects = {
  answer: (ctx, e) => ctx.execute(e.id, FsApp.answer()),
  playback: (ctx, e) => ctx.execute(e.id, FsApp.playback(e.file)),
  'hold-music': (ctx, e) => {
    // Music that ends at once (a local_stream source that is not installed) would be replayed in a tight loop.
    const now = ctx.deps.clock.now();
    const started = ctx.scratch.holdStartedAt;
    const quick = started !== undefined && now - started < 1000;
    ctx.scratch.holdStartedAt = now;
    if (quick) ctx.deps.metrics.inc('calls.hold_music_fallbacks');
    ctx.execute(e.id, FsApp.playback(quick ? HOLD_FALLBACK : HOLD_MUSIC));
  },
  'stop-media': (ctx) => void ctx.session.api(FsCommand.break(ctx.leg.uuid)),
  record: (ctx) => {
    const file = ctx.deps.services.recordPath(ctx.leg.callId, ctx.deps.clock.now());
    ctx.scratch.recordFile = file;
    // On the channel too, so its CDR names the recording even if we are gone when the call ends.
    void ctx.session.api(FsCommand.setvar(ctx.leg.uuid, 'cc_record_file', file));
    ctx.execute('record', FsApp.recordSession(file));
  },
  'get-digits': (ctx, e) =>
    ctx.execute(
      e.id,
      FsApp.playAndGetDigits(1, 1, 1, e.timeoutMs, e.file, 'cc_rate', `[${e.validDigits}]`),
      (h) => ({ digits: h['variable_cc_rate'] ?? '' }),
    ),
} satisfies Partial<EffectHandlers>;
