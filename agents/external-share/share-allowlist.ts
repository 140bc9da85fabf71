import { BlockList, isIP } from 'node:net';

/**
 * `NEXUS_SHARE_ALLOWLIST`: comma-separated host names (exact, case-insensitive) and IPs or CIDRs.
 * Empty means nothing may be shared: a destination has to be named to be reachable.
 */
export class ShareAllowlist {
  private readonly hosts = new Set<string>();
  private readonly blocks = new BlockList();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      const [address, prefix] = entry.split('/');
      const family = address ? isIP(address) : 0;
      if (family && address) {
        const type = family === 6 ? 'ipv6' : 'ipv4';
        if (prefix === undefined) this.blocks.addAddress(address, type);
        else this.blocks.addSubnet(address, Number(prefix), type);
      } else {
        this.hosts.add(entry);
      }
    }
  }

  /** An IP (not a name) that is explicitly allowlisted: the only way an internal address becomes reachable. */
  allowsAddress(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.blocks.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }

  allows(url: URL): boolean {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const family = isIP(host);
    if (family) return this.blocks.check(host, family === 6 ? 'ipv6' : 'ipv4');
    return this.hosts.has(host);
  }
}
