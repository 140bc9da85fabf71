import { clusterUrl, parseRedisUrl } from './redis-address.js';

/**
 * Where a service is, for logs and `/health`: the scheme, host and port of its URL, never the login, password,
 * database or virtual host (the per-role URLs carry passwords).
 */
export function serviceAddress(url: string): string {
  // A cluster's seed list (`redis+cluster://login@h1:p1,h2:p2`) is no URL the WHATWG parser reads.
  const target = parseRedisUrl(url);
  if (target?.kind === 'cluster') return clusterUrl(target);
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'an unreadable URL';
  }
}
