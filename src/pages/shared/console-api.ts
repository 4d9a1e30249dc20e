/// <reference lib="dom" />
// The server's browser-facing endpoints (src/api/routes/console.ts). Every failure is a value carrying the
// server's own message, which the pages show as is.

export interface Claim {
  servers: string;
  nativeServers: string;
  username: string;
  password: string;
  uri: string;
  projectCode: string;
  type: number;
}

export type Answer<T> = { ok: true; data: T } | { ok: false; message: string };

interface Envelope<T> {
  data?: T;
  reqResult?: { code: number; msg: string };
}

async function call<T>(path: string, init: RequestInit): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    return {
      ok: false,
      message: `服务器无响应 server unreachable: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  let body: Envelope<T>;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    return { ok: false, message: `HTTP ${res.status}: the answer is not JSON` };
  }
  if (body.reqResult?.code === 1) return { ok: true, data: body.data as T };
  return { ok: false, message: body.reqResult?.msg ?? `HTTP ${res.status}` };
}

/** A claimed extension is handed out again only with its password (`password`: this tab's earlier claim). */
export function claimExtension(
  certificate: string,
  type: 2 | 3,
  username?: string,
  password?: string,
): Promise<Answer<Claim>> {
  return call<Claim>('/callcenter/console/claim', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(username ? { certificate, type, username, password } : { certificate, type }),
  });
}

const basic = (c: Claim) => `Basic ${btoa(`${c.username}:${c.password}`)}`;

/** GET an endpoint with the claimed extension's credentials (HTTP Basic). */
export function consoleGet<T>(
  path: 'extensions' | 'tasks' | 'callList' | 'status' | 'wallboard' | 'abandonRate',
  query: Record<string, string | number>,
  as: Claim,
): Promise<Answer<T>> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return call<T>(`/callcenter/console/${path}?${qs}`, { headers: { authorization: basic(as) } });
}
