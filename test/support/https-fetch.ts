// fetch() over HTTPS trusting one CA: Node 20's fetch takes no CA of its own (NODE_EXTRA_CA_CERTS is read only at
// start), so the live tier's secure group reaches our server through node:https with this signature instead.
import { request } from 'node:https';

export function httpsFetch(ca: string): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => (headers[name] = value));
    return new Promise<Response>((resolve, reject) => {
      const r = request(req.url, { method: req.method, headers, ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) answer.append(k, one);
          const status = res.statusCode ?? 500;
          const empty = status === 204 || status === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }));
        });
      });
      r.on('error', reject);
      r.end(body);
    });
  };
}
