import { describe, expect, it } from 'vitest';
import { ShareAllowlist } from './share-allowlist.js';

describe('ShareAllowlist', () => {
  const list = new ShareAllowlist(['hooks.example.org', '10.1.0.0/16', '127.0.0.1', 'fd00::/8']);
  it('allows named hosts exactly, case-insensitively', () => {
    expect(list.allows(new URL('https://HOOKS.example.org/x'))).toBe(true);
    expect(list.allows(new URL('https://evil.hooks.example.org/x'))).toBe(false);
    expect(list.allows(new URL('https://example.org/x'))).toBe(false);
  });
  it('matches IPs against addresses and CIDRs', () => {
    expect(list.allows(new URL('http://10.1.2.3/'))).toBe(true);
    expect(list.allows(new URL('http://10.2.0.1/'))).toBe(false);
    expect(list.allows(new URL('http://127.0.0.1:9000/'))).toBe(true);
    expect(list.allows(new URL('http://169.254.169.254/latest'))).toBe(false);
    expect(list.allows(new URL('http://[fd00::1]/'))).toBe(true);
  });
  it('allows nothing when empty', () => {
    expect(new ShareAllowlist([]).allows(new URL('http://127.0.0.1/'))).toBe(false);
  });
});
