import { BlockList, isIP } from 'node:net';
import { parseShareRule, type ShareDestination, type ShareRule } from '../../contracts/index.js';

/** Thrown when an entry does not parse; config and policy files are validated first, so only code passing raw lists sees it. */
export class ShareAllowlistError extends Error {
  readonly code = 'share_allowlist_invalid';
}

interface CompiledRule {
  rule: ShareRule;
  /** The addresses an IP or CIDR entry names; undefined for names. */
  addresses: BlockList | undefined;
}

/** A path prefix ends at a `/`: `/nexus` allows `/nexus` and `/nexus/…`, never `/nexus-evil`. */
function pathAllowed(prefix: string, path: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** `*.example.org` covers exactly one more label (like a TLS wildcard): `a.example.org`, not `a.b.example.org`. */
function nameAllowed(rule: Extract<ShareRule['host'], { kind: 'name' }>, host: string): boolean {
  if (!rule.wildcard) return host === rule.name;
  const label = host.endsWith(`.${rule.name}`) ? host.slice(0, -rule.name.length - 1) : '';
  return label !== '' && !label.includes('.');
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

/**
 * `NEXUS_SHARE_ALLOWLIST`, or a project's `share_allowlist`: every entry names a scheme, a host (name, `*.name`,
 * IP or CIDR), a port and a path prefix (grammar in contracts/share-allowlist.ts). Empty allows nothing: a
 * destination has to be named to be reachable.
 */
export class ShareAllowlist {
  private readonly compiled: CompiledRule[];

  constructor(entries: readonly string[]) {
    this.compiled = entries.filter((e) => e.trim() !== '').map((entry) => {
      const parsed = parseShareRule(entry);
      if (!parsed.ok) throw new ShareAllowlistError(`share allowlist entry "${entry}": ${parsed.reason}`);
      const { host } = parsed.value;
      let addresses: BlockList | undefined;
      if (host.kind !== 'name') {
        addresses = new BlockList();
        const type = host.family === 6 ? 'ipv6' : 'ipv4';
        if (host.kind === 'ip') addresses.addAddress(host.address, type);
        else addresses.addSubnet(host.network, host.prefix, type);
      }
      return { rule: parsed.value, addresses };
    });
  }

  /** The first entry that allows this destination, or undefined. */
  match(destination: ShareDestination): ShareRule | undefined {
    return this.compiled.find((c) => this.sameService(c, destination) && this.hostMatches(c, destination))?.rule;
  }

  /**
   * The connect-time question: may the socket for `destination` go to `address`? Only an IP or CIDR entry with the
   * destination's own scheme, port and path says yes — an entry for 127.0.0.1:9000 does not open 127.0.0.1:7233.
   */
  allowsAddress(address: string, destination: ShareDestination): boolean {
    const family = familyOf(address);
    if (!family) return false;
    return this.compiled.some((c) => c.addresses !== undefined && this.sameService(c, destination) && c.addresses.check(address, family));
  }

  private sameService({ rule }: CompiledRule, destination: ShareDestination): boolean {
    return rule.scheme === destination.scheme && rule.port === destination.port && pathAllowed(rule.path, destination.path);
  }

  private hostMatches({ rule, addresses }: CompiledRule, destination: ShareDestination): boolean {
    if (rule.host.kind === 'name') return destination.hostKind === 'name' && nameAllowed(rule.host, destination.host);
    return destination.hostKind !== 'name' && addresses !== undefined && addresses.check(destination.host, destination.hostKind);
  }
}
