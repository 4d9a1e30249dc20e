// sofia::register / unregister / expire events → which extension changed (pure; the node link feeds events in).
type RegistrationChange = { username: string; registered: boolean };

export function registrationChange(event: {
  name: string;
  subclass?: string;
  headers: Record<string, string | undefined>;
}): RegistrationChange | null {
  if (event.name !== 'CUSTOM' || !event.subclass) return null;
  const h = event.headers;
  if (h['profile-name'] && h['profile-name'] !== 'internal') return null;
  const username = h['from-user'] ?? h['username'] ?? h['user'];
  if (!username) return null;
  switch (event.subclass) {
    case 'sofia::register':
      return { username, registered: true };
    case 'sofia::unregister':
    case 'sofia::expire':
      return { username, registered: false };
    default:
      return null;
  }
}
