/**
 * Where a service is, for logs and `/health`: the scheme, host and port of its URL, never the login, password,
 * database or virtual host (the per-role URLs carry passwords).
 */
export function serviceAddress(url: string): string {
  // A cluster's seed list (`redis+cluster://login@h1:p1,h2:p2`) is no URL the WHATWG parser reads.
  const cluster = /^([a-z]+\+cluster:)\/\/(?:[^@/?#\s]*@)?([^@/?#\s]+)\/?$/.exec(url);
  if (cluster) return `${cluster[1]}//${cluster[2]}`;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'an unreadable URL';
  }
}

/** A service URL the WHATWG parser reads (`redis://`, `amqp://`) with this login in place of its own. */
export function urlWithLogin(url: string, username: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(username);
  parsed.password = encodeURIComponent(password);
  return parsed.href.replace(/\/$/, '');
}
