/** A service URL the WHATWG parser reads (`redis://`, `amqp://`) with this login in place of its own. */
export function urlWithLogin(url: string, username: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(username);
  parsed.password = encodeURIComponent(password);
  return parsed.href.replace(/\/$/, '');
}
