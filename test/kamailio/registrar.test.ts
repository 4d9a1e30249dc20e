// The test registrar itself, without a browser: it speaks SIP over WebSocket, challenges REGISTER with digest
// auth, accepts the right password and refuses a wrong one. The browser suite relies on all of this.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { kamailioMissing, startKamailio, testDomain, testUsers, type RunningKamailio } from './kamailio.js';

const missing = kamailioMissing();

interface SipResponse {
  status: number;
  headers: Map<string, string>;
}

function parseResponse(text: string): SipResponse {
  const [statusLine, ...lines] = text.split('\r\n\r\n')[0].split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

class SipOverWs {
  private cseq = 1;
  private readonly callId = randomBytes(8).toString('hex');
  private readonly tag = randomBytes(4).toString('hex');
  private constructor(private readonly ws: WebSocket) {}

  static async open(url: string): Promise<SipOverWs> {
    const ws = new WebSocket(url, 'sip');
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    return new SipOverWs(ws);
  }

  register(user: string, authorization?: string): Promise<SipResponse> {
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const lines = [
      `REGISTER sip:${testDomain} SIP/2.0`,
      `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=${branch}`,
      'Max-Forwards: 70',
      `To: <sip:${user}@${testDomain}>`,
      `From: <sip:${user}@${testDomain}>;tag=${this.tag}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq++} REGISTER`,
      `Contact: <sip:${user}x@df7jal23ls0d.invalid;transport=ws>;expires=60`,
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Content-Length: 0',
    ];
    const reply = new Promise<SipResponse>((resolve) =>
      this.ws.once('message', (data: Buffer) => resolve(parseResponse(data.toString()))),
    );
    this.ws.send(lines.join('\r\n') + '\r\n\r\n');
    return reply;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

function digest(challenge: string, user: string, password: string): string {
  const realm = /realm="([^"]+)"/.exec(challenge)![1];
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1];
  const uri = `sip:${testDomain}`;
  const response = md5(`${md5(`${user}:${realm}:${password}`)}:${nonce}:${md5(`REGISTER:${uri}`)}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5`;
}

t.test('the test registrar', { skip: missing ?? false }, async (t) => {
  let kamailio: RunningKamailio | undefined;
  try {
    kamailio = await startKamailio();
  } catch (err) {
    t.fail(String(err));
    return;
  }
  t.teardown(() => kamailio!.stop());

  t.test('given no credentials, a REGISTER is challenged with digest auth', async (t) => {
    const sip = await SipOverWs.open(kamailio!.wsUrl);
    t.teardown(() => sip.close());
    const reply = await sip.register('1001');
    t.equal(reply.status, 401);
    t.match(reply.headers.get('www-authenticate'), /^Digest realm="cc\.test", nonce="/);
  });

  t.test('given the right password, the extension is registered', async (t) => {
    const sip = await SipOverWs.open(kamailio!.wsUrl);
    t.teardown(() => sip.close());
    const challenge = await sip.register('1002');
    const reply = await sip.register(
      '1002',
      digest(challenge.headers.get('www-authenticate')!, '1002', testUsers['1002']),
    );
    t.equal(reply.status, 200);
    t.match(
      reply.headers.get('contact'),
      /received="sip:127\.0\.0\.1:\d+;transport=ws"/,
      'the binding remembers the WebSocket connection',
    );
  });

  t.test('given a wrong password, the registrar challenges again instead of registering', async (t) => {
    const sip = await SipOverWs.open(kamailio!.wsUrl);
    t.teardown(() => sip.close());
    const challenge = await sip.register('1003');
    const reply = await sip.register(
      '1003',
      digest(challenge.headers.get('www-authenticate')!, '1003', 'wrong'),
    );
    t.equal(reply.status, 401);
  });
});
