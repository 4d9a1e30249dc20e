// /app commands carry the acting username in their JSON body (callcenter-api.md §三: /app/idle, /app/call...).
// The broker checks it against the session before the application sees the command, so no handler can forget.

/** The `username` of a JSON object body, or undefined when the body is not JSON or names nobody. */
export function usernameOf(body: string): string | undefined {
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('username' in parsed)) return undefined;
  const username = (parsed as { username: unknown }).username;
  if (typeof username === 'string') return username;
  if (typeof username === 'number') return String(username);
  return undefined;
}
