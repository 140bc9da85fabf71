import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Addresses a share must never reach unless an operator allowlisted them by IP or CIDR (SSRF). */
const INTERNAL = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
// No ::ffff:0:0/96 rule here: BlockList maps every IPv4 address into that range. Mapped addresses are unwrapped below.
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) can carry any IPv4 address, private ones included; site-local
// fec0::/10 is deprecated but still routed on some networks. All refused unless allowlisted by IP.
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return isInternalAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export class DestinationRefusedError extends Error {
  readonly code = 'destination_not_allowed';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses internal addresses unless `allowedIp` says yes. It runs at connect time,
 * on the addresses actually used, so a name that resolves differently later (DNS rebinding) gains nothing.
 */
export function guardedLookup(allowedIp: (address: string) => boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = addresses.find((a) => isInternalAddress(a.address) && !allowedIp(a.address));
      if (refused) {
        return callback(Object.assign(new DestinationRefusedError(`${hostname} resolves to ${refused.address}, an internal address that is not allowlisted`), { code: 'ERR_DESTINATION_REFUSED' }), '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}
