/**
 * Where an `external_share` goes, normalized once so that the allowlist, the approver and the socket all see the
 * same scheme, host, port and path. Allowlist entries (share-allowlist.ts) go through the same host and path
 * normalization, so an entry and a URL can only be compared in one canonical form.
 *
 * Pure (the WHATWG `URL` global only): importable from the API, the worker and tests alike.
 */

export type ShareScheme = 'http' | 'https';
export type ShareHostKind = 'name' | 'ipv4' | 'ipv6';

export interface ShareDestination {
  scheme: ShareScheme;
  /** A lower-case DNS name (punycode, no trailing dot), a dotted-quad IPv4 address, or an IPv6 address without brackets. */
  host: string;
  hostKind: ShareHostKind;
  /** Always explicit: 443 or 80 when the URL names none. */
  port: number;
  /** No dot segments, unreserved characters decoded, other escapes in upper case. Never empty. */
  path: string;
  /** The query string with its `?`, or ''. The fragment is dropped: it is never sent. */
  search: string;
  /** `scheme://host:port/path?query`: what the approver is shown and exactly what is POSTed. */
  href: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const DEFAULT_PORTS: Readonly<Record<ShareScheme, number>> = { https: 443, http: 80 };

// Whitespace and control characters are removed silently by the URL parser; a URL that needs that is refused.
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;
const NAME_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** IPv4 as four decimal numbers, which is also how the URL parser writes every IPv4 host it accepts. */
export const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function hasControlOrSpace(text: string): boolean {
  return CONTROL_OR_SPACE.test(text);
}

/** `URL.hostname` into its canonical form. Names lose one trailing dot (`example.org.` is `example.org` to DNS). */
export function normalizeHost(hostname: string): Parsed<{ host: string; hostKind: ShareHostKind }> {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return { ok: true, value: { host: hostname.slice(1, -1), hostKind: 'ipv6' } };
  if (DOTTED_QUAD.test(hostname)) return { ok: true, value: { host: hostname, hostKind: 'ipv4' } };
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => NAME_LABEL.test(label))) {
    return { ok: false, reason: `"${hostname}" is not a valid host name` };
  }
  return { ok: true, value: { host: name, hostKind: 'name' } };
}

/**
 * `URL.pathname` (dot segments already resolved by the URL parser) into the form that is compared and sent.
 * Encoded slashes and backslashes are refused: servers disagree on whether `%2F` separates segments, so
 * `/nexus%2F..%2Fadmin` could leave a path prefix on the receiving side.
 */
export function normalizePath(pathname: string): Parsed<string> {
  const path = pathname === '' ? '/' : pathname;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path.charAt(i);
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: `the path has a malformed escape at "${path.slice(i, i + 3)}"` };
    const decoded = String.fromCharCode(parseInt(hex, 16));
    if (decoded === '/' || decoded === '\\') return { ok: false, reason: 'the path contains an encoded slash or backslash (%2F, %5C)' };
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  // The URL parser resolves `.`/`..` and their %2e spellings; decoding must not have produced new ones.
  if (out.split('/').some((segment) => segment === '.' || segment === '..')) return { ok: false, reason: 'the path has a dot segment' };
  return { ok: true, value: out };
}

export function authorityOf(host: string, hostKind: ShareHostKind, port: number): string {
  return `${hostKind === 'ipv6' ? `[${host}]` : host}:${port}`;
}

/** A share target URL (from params) into its destination, or the reason it can never be one. */
export function parseShareDestination(text: string): Parsed<ShareDestination> {
  if (hasControlOrSpace(text)) return { ok: false, reason: 'the URL contains spaces or control characters' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return { ok: false, reason: `the scheme must be http or https, not ${scheme}` };
  // `https://allowed.com@evil.com/` goes to evil.com; credentials in a URL are never what an approver expects.
  if (url.username || url.password) return { ok: false, reason: 'the URL carries user info (user@ or user:password@)' };
  const host = normalizeHost(url.hostname);
  if (!host.ok) return host;
  const path = normalizePath(url.pathname);
  if (!path.ok) return path;
  if (url.port === '0') return { ok: false, reason: 'port 0 is not a port' };
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
  const { host: name, hostKind } = host.value;
  return {
    ok: true,
    value: { scheme, host: name, hostKind, port, path: path.value, search: url.search, href: `${scheme}://${authorityOf(name, hostKind, port)}${path.value}${url.search}` },
  };
}
