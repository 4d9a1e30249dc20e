// The test page's harness: one MySoftPhone per page, every event recorded in window.cc.events (and shown on the
// page for the screenshots), sessions numbered in the order the phone reported them.
/* global window, document, MySoftPhone */
(function () {
  const cc = {
    phone: null,
    name: '',
    events: [],
    sessions: [],
    confirmCalls: [],
    confirmMode: 'yes',
    pendingConfirm: null,
  };
  window.cc = cc;

  function log(record) {
    cc.events.push(record);
    const line = Object.entries(record)
      .filter(([k, v]) => k !== 'message' && v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const el = document.getElementById('log');
    el.textContent = (el.textContent + line + '\n').split('\n').slice(-32).join('\n');
    const s = cc.phone;
    document.getElementById('state').textContent =
      (s && s.registered ? 'registered' : 'not registered') +
      (s ? `, ${s.sessions.length} live call(s)` : '');
  }

  const indexOf = (session) => cc.sessions.indexOf(session);

  function confirm(target) {
    cc.confirmCalls.push(target);
    log({ type: 'confirm', target, mode: cc.confirmMode });
    if (cc.confirmMode === 'yes') return true;
    if (cc.confirmMode === 'no') return false;
    return new Promise((resolve) => (cc.pendingConfirm = resolve));
  }

  cc.start = function (name, options) {
    cc.name = name;
    document.getElementById('title').textContent = `${name}: ${options.uri}`;
    const phone = new MySoftPhone(options, confirm);
    cc.phone = phone;
    phone.on('registered', () => log({ type: 'registered' }));
    phone.on('unregistered', () => log({ type: 'unregistered' }));
    phone.on('registrationFailed', ({ error }) =>
      log({ type: 'registrationFailed', kind: error.kind, message: error.message }),
    );
    phone.on('error', ({ error }) => log({ type: 'error', kind: error.kind, message: error.message }));
    phone.on('session', ({ session }) => {
      cc.sessions.push(session);
      log({
        type: 'session',
        s: indexOf(session),
        direction: session.direction,
        target: session.target,
        referred: session.referredBy !== null,
      });
    });
    for (const type of ['ringing', 'answered']) {
      phone.on(type, ({ session }) => log({ type, s: indexOf(session), autoAnswer: session.autoAnswer }));
    }
    for (const type of ['ended', 'failed']) {
      phone.on(type, (e) =>
        log({
          type,
          s: indexOf(e.session),
          cause: e.cause,
          originator: e.originator,
          statusCode: e.statusCode,
          reasonPhrase: e.reasonPhrase,
          message: e.message,
        }),
      );
    }
    for (const type of ['hold', 'unhold', 'dtmf']) {
      phone.on(type, (e) => log({ type, s: indexOf(e.session), originator: e.originator, tone: e.tone }));
    }
  };

  /** Registers a throwaway phone and reports how registration went, then closes it. */
  cc.probe = function (options) {
    return new Promise((resolve) => {
      const phone = new MySoftPhone(options, () => false);
      const done = (result) => {
        log({ type: 'probe', ...result });
        phone.close().then(() => resolve(result));
      };
      phone.once('registered', () => done({ registered: true }));
      phone.once('registrationFailed', ({ error }) =>
        done({ registered: false, kind: error.kind, message: error.message }),
      );
    });
  };

  cc.call = function (target, extraHeaders) {
    return indexOf(cc.phone.call(target, { extraHeaders }));
  };
})();
