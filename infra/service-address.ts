/**
 * Where a service is, for logs and `/health`: the scheme, host and port of its URL, never the login, password,
 * database or virtual host (the per-role URLs carry passwords).
 */
export function serviceAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'an unreadable URL';
  }
}
