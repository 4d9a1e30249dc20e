/// <reference lib="dom" />
// The pages' softphone: the SDK served at /sdk/mysoftphone.js (window.MySoftPhone), registered with the claimed
// extension. The WSS address is the project's (claim.servers) unless the page was opened with ?sip=<ws url>
// (a test's or a lab's registrar), or ?sip=off for STOMP only. Failures are shown, never thrown.
import type { Claim } from './console-api.js';
import type { Label } from './labels.js';

// What the pages use of MySoftPhone (src/sdk/phone.ts), spelled here so the pages compile without the SDK's
// sources (they are built separately, with JsSIP); the browser test runs them against the real bundle.
export type AnswerConfirmFn = (target: string) => boolean | Promise<boolean>;

export interface PhoneLeg {
  hangup(): void;
  hold(): Promise<boolean>;
  unhold(): Promise<boolean>;
}

export interface SoftPhone {
  readonly sessions: PhoneLeg[];
  on(event: 'registered' | 'unregistered' | 'session' | 'answered' | 'ended', fn: () => void): unknown;
  on(
    event: 'registrationFailed' | 'error',
    fn: (e: { error: { kind: string; message: string } }) => void,
  ): unknown;
  on(event: 'failed', fn: (e: { message: string }) => void): unknown;
  agentLogin(): unknown;
  agentLogoff(): unknown;
  enterFifo(projectCode: string): unknown;
}

type SoftPhoneClass = new (
  options: {
    authorizationUser: string;
    password: string;
    wsServers: string[];
    uri: string;
    remoteVideoId: string;
    localVideoId: string;
  },
  answerConfirmFn: AnswerConfirmFn,
) => SoftPhone;

declare global {
  interface Window {
    MySoftPhone?: SoftPhoneClass;
  }
}

export interface PhoneHooks {
  /** Registration state for the header chip. */
  onState(label: Label): void;
  /** Something the agent should read (a failed call, a refused microphone...). */
  onNotice(text: string, tone: Label['tone']): void;
  /** Asked for each incoming call that does not auto-answer (spec 二.8 answerConfirmFn). */
  confirm: AnswerConfirmFn;
  /** A call leg started or ended: the page refreshes its buttons. */
  onChange(): void;
}

export type Phone = { ok: true; phone: SoftPhone } | { ok: false; reason: string };

export function startPhone(claim: Claim, wsUrl: string, hooks: PhoneHooks): Phone {
  const Ctor = window.MySoftPhone;
  if (!Ctor) return { ok: false, reason: '软电话脚本未加载 /sdk/mysoftphone.js did not load' };
  let phone: SoftPhone;
  try {
    phone = new Ctor(
      {
        authorizationUser: claim.username,
        password: claim.password,
        wsServers: [wsUrl],
        uri: claim.uri,
        remoteVideoId: 'remoteAudio',
        localVideoId: 'localVideo',
      },
      hooks.confirm,
    );
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  phone.on('registered', () => hooks.onState({ text: '已注册 registered', tone: 'ok' }));
  phone.on('unregistered', () => hooks.onState({ text: '未注册 unregistered', tone: 'warn' }));
  phone.on('registrationFailed', ({ error }) => {
    hooks.onState({ text: `注册失败 ${error.kind}`, tone: 'bad' });
    hooks.onNotice(`软电话 softphone: ${error.message}`, 'bad');
  });
  phone.on('error', ({ error }) => hooks.onNotice(`软电话 softphone: ${error.message}`, 'bad'));
  phone.on('session', () => hooks.onChange());
  phone.on('answered', () => hooks.onChange());
  phone.on('ended', () => hooks.onChange());
  phone.on('failed', ({ message }) => {
    hooks.onNotice(`呼叫失败 call failed: ${message}`, 'warn');
    hooks.onChange();
  });
  hooks.onState({ text: '注册中 registering', tone: 'muted' });
  return { ok: true, phone };
}

/** The call on the phone the buttons act on: the newest one still up. */
export function currentLeg(phone: SoftPhone | undefined): PhoneLeg | undefined {
  return phone?.sessions.at(-1);
}
