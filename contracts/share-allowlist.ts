import { z } from 'zod';
import { authorityOf, DEFAULT_PORTS, DOTTED_QUAD, hasControlOrSpace, normalizeHost, normalizePath, type Parsed, type ShareScheme } from './share-destination.js';

export * from './share-destination.js';

/**
 * One allowlist entry, parsed. The grammar (docs/risk-policy.md, "Share destinations"):
 *
 *   scheme://host[:port][/path-prefix]   scheme http|https; host a name, `*.` + name, IPv4, or [IPv6];
 *                                        port defaults to the scheme's; no path (or `/`) = every path
 *   host | IP | CIDR                     the old bare form: https, port 443, every path — never every port
 *
 * A port or another scheme on a CIDR is not supported: a range is only ever https on 443. Name the address.
 */
export interface ShareRule {
  /** As written (trimmed), for messages and the approver. */
  entry: string;
  scheme: ShareScheme;
  host:
    | { kind: 'name'; name: string; wildcard: boolean }
    | { kind: 'ip'; address: string; family: 4 | 6 }
    | { kind: 'cidr'; network: string; prefix: number; family: 4 | 6 };
  port: number;
  /** Normalized path prefix; `/` allows every path. */
  path: string;
  /** What the entry means, spelled out: `https://*.example.org:443/`, `https://10.0.0.0/8:443/` for a range. */
  canonical: string;
}

const fail = (reason: string): Parsed<never> => ({ ok: false, reason });
const CIDR_ONLY_HTTPS = 'a CIDR always means https on port 443; for another port or http, name the address (http://10.0.0.5:8080)';

/** Parses one entry; `reason` says what to write instead. */
export function parseShareRule(text: string): Parsed<ShareRule> {
  const entry = text.trim();
  if (entry === '') return fail('empty entry');
  if (hasControlOrSpace(entry)) return fail('contains spaces or control characters');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(entry)?.[1]?.toLowerCase();
  if (scheme === undefined) return parseBare(entry);
  if (scheme !== 'http' && scheme !== 'https') return fail(`the scheme must be http or https, not ${scheme}`);
  return parseUrlEntry(entry, scheme);
}

function parseUrlEntry(entry: string, scheme: ShareScheme): Parsed<ShareRule> {
  // A leading `*.` is taken off before the URL parser sees it, so the rest is normalized like any host.
  const wildcard = /^[A-Za-z]+:\/\/\*\./.test(entry);
  let url: URL;
  try {
    url = new URL(wildcard ? entry.replace('*.', '') : entry);
  } catch {
    return fail('not a valid URL');
  }
  if (url.username || url.password) return fail('user info (user@) is not allowed in an entry');
  if (url.search || url.hash || entry.endsWith('?') || entry.endsWith('#')) return fail('an entry has no query or fragment; write a path prefix');
  const authority = entry.slice(scheme.length + 3).split(/[/?#]/)[0] ?? '';
  const host = hostOf(url.hostname, authority.replace(/:\d*$/, '').replace(/^\*\./, ''), wildcard);
  if (!host.ok) return host;
  // `https://10.0.0.0/8` is the address 10.0.0.0 with the path prefix /8 to a URL parser; say so rather than guess.
  if (host.value.kind === 'ip' && /^\/\d{1,3}\/?$/.test(url.pathname)) return fail(CIDR_ONLY_HTTPS);
  const path = normalizePath(url.pathname);
  if (!path.ok) return path;
  if (url.port === '0') return fail('port 0 is not a port');
  return { ok: true, value: rule(entry, scheme, host.value, url.port ? Number(url.port) : DEFAULT_PORTS[scheme], path.value) };
}

function parseBare(entry: string): Parsed<ShareRule> {
  if (/\/\d{1,3}\]?:\d+$/.test(entry)) return fail(CIDR_ONLY_HTTPS);
  const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
  if (cidr) return parseCidr(entry, cidr[1] ?? '', Number(cidr[2]));
  if (/[/?#@\\]/.test(entry)) return fail('a bare entry is a host, an IP or a CIDR; write scheme://host:port/path for more');
  const v6 = ipv6(entry.replace(/^\[(.*)\]$/, '$1'));
  if (v6) return { ok: true, value: rule(entry, 'https', { kind: 'ip', address: v6, family: 6 }, 443, '/') };
  if (entry.includes(':')) return fail(`a port needs a scheme: write https://${entry} or http://${entry}`);
  const wildcard = entry.startsWith('*.');
  const written = wildcard ? entry.slice(2) : entry;
  let url: URL;
  try {
    url = new URL(`https://${written}/`);
  } catch {
    return fail('not a valid host');
  }
  const host = hostOf(url.hostname, written, wildcard);
  if (!host.ok) return host;
  return { ok: true, value: rule(entry, 'https', host.value, 443, '/') };
}

function parseCidr(entry: string, address: string, prefix: number): Parsed<ShareRule> {
  const v6 = ipv6(address.replace(/^\[(.*)\]$/, '$1'));
  const family = v6 ? 6 : DOTTED_QUAD.test(address) ? 4 : 0;
  if (family === 0) return fail(`"${address}" is not an IP address; a CIDR is written 10.0.0.0/8 or fd00::/8`);
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) return fail(`/${prefix} is longer than ${bits} bits`);
  const network = v6 ?? address;
  if (!hostBitsClear(network, family, prefix)) return fail(`${address}/${prefix} has host bits set; write the network address`);
  return { ok: true, value: rule(entry, 'https', { kind: 'cidr', network, prefix, family }, 443, '/') };
}

function hostOf(hostname: string, written: string, wildcard: boolean): Parsed<ShareRule['host']> {
  const host = normalizeHost(hostname);
  if (!host.ok) return host;
  const { host: value, hostKind } = host.value;
  if (hostKind === 'name') {
    // A wildcard under a single label (`*.com`) would allow a whole top-level domain.
    if (wildcard && !value.includes('.')) return fail('a wildcard needs at least two labels after it (*.example.org)');
    return { ok: true, value: { kind: 'name', name: value, wildcard } };
  }
  if (wildcard) return fail('a wildcard applies to names, not to IP addresses');
  // `0x7f.1` is 127.0.0.1 to the URL parser, but an operator reading the list should not have to decode it.
  if (hostKind === 'ipv4' && !DOTTED_QUAD.test(written.replace(/\.$/, ''))) return fail(`write the IPv4 address as four decimal numbers (${value})`);
  return { ok: true, value: { kind: 'ip', address: value, family: hostKind === 'ipv6' ? 6 : 4 } };
}

/** The canonical text of an IPv6 address, or undefined. */
function ipv6(text: string): string | undefined {
  if (!text.includes(':')) return undefined;
  try {
    const host = new URL(`https://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return undefined;
  }
}

function hostBitsClear(network: string, family: 4 | 6, prefix: number): boolean {
  const bits = family === 4
    ? network.split('.').map((octet) => Number(octet).toString(2).padStart(8, '0')).join('')
    : expandIpv6(network).map((hextet) => parseInt(hextet, 16).toString(2).padStart(16, '0')).join('');
  return !bits.slice(prefix).includes('1');
}

/** Eight hextets from a canonical IPv6 text (the URL parser never emits an embedded IPv4 tail). */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

function rule(entry: string, scheme: ShareScheme, host: ShareRule['host'], port: number, path: string): ShareRule {
  const hostText = host.kind === 'name'
    ? `${host.wildcard ? '*.' : ''}${host.name}:${port}`
    : host.kind === 'ip'
      ? authorityOf(host.address, host.family === 6 ? 'ipv6' : 'ipv4', port)
      : `${host.family === 6 ? `[${host.network}/${host.prefix}]` : `${host.network}/${host.prefix}`}:${port}`;
  return { entry, scheme, host, port, path, canonical: `${scheme}://${hostText}${path}` };
}

function issueFor(entry: string): string | undefined {
  const parsed = parseShareRule(entry);
  return parsed.ok ? undefined : `entry "${entry.trim()}": ${parsed.reason}`;
}

/** One allowlist entry as written in a policy file's `share_allowlist`; validated with the grammar above. */
export const ShareAllowlistEntry = z.string().trim().min(1).max(2048).superRefine((entry, ctx) => {
  const issue = issueFor(entry);
  if (issue) ctx.addIssue({ code: 'custom', message: issue });
});
export type ShareAllowlistEntry = z.infer<typeof ShareAllowlistEntry>;

/** `NEXUS_SHARE_ALLOWLIST`: entries separated by commas (blank ones ignored); the first bad entry is named. */
export const ShareAllowlistText = z.string()
  .transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(ShareAllowlistEntry));
