import { describe, expect, it } from 'vitest';
import { guardedLookup, isInternalAddress } from './address-guard.js';

describe('isInternalAddress', () => {
  it('flags loopback, private, link-local, metadata and mapped addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '64:ff9b::a00:1', '2002:7f00:1::', 'fec0::1']) {
      expect(isInternalAddress(ip), ip).toBe(true);
    }
  });
  it('lets public addresses through', () => {
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(isInternalAddress(ip), ip).toBe(false);
  });
});

describe('guardedLookup', () => {
  it('refuses a name that resolves to loopback unless that IP is allowlisted', async () => {
    const lookup = (allowed: (ip: string) => boolean) =>
      new Promise<string>((resolve, reject) =>
        guardedLookup(allowed)('localhost', {}, (err, address) => (err ? reject(err) : resolve(String(address)))),
      );
    await expect(lookup(() => false)).rejects.toThrow(/internal address/);
    await expect(lookup((ip) => ip === '127.0.0.1' || ip === '::1')).resolves.toMatch(/127\.0\.0\.1|::1/);
  });
});
