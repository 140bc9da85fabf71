import { describe, expect, it } from 'vitest';
import { RiskPolicy } from './policy.js';
import { parseShareRule, ShareAllowlistText } from './share-allowlist.js';

const canonical = (entry: string) => {
  const parsed = parseShareRule(entry);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.canonical;
};
const reason = (entry: string) => {
  const parsed = parseShareRule(entry);
  return parsed.ok ? undefined : parsed.reason;
};

describe('share allowlist entries', () => {
  it.each([
    ['https://hooks.example.com/nexus/', 'https://hooks.example.com:443/nexus/'],
    ['http://127.0.0.1:9000/inbox', 'http://127.0.0.1:9000/inbox'],
    ['HTTPS://Hooks.Example.COM.', 'https://hooks.example.com:443/'],
    ['https://*.example.org', 'https://*.example.org:443/'],
    ['http://[FD00::1]:8443/in', 'http://[fd00::1]:8443/in'],
    ['https://h.example.com/a/./b/../c', 'https://h.example.com:443/a/c'],
    ['https://h.example.com/%7euser', 'https://h.example.com:443/~user'],
    // The old bare form: https, port 443, every path.
    ['hooks.example.org', 'https://hooks.example.org:443/'],
    ['*.example.org', 'https://*.example.org:443/'],
    ['127.0.0.1', 'https://127.0.0.1:443/'],
    ['::1', 'https://[::1]:443/'],
    ['[::1]', 'https://[::1]:443/'],
    ['10.0.0.0/8', 'https://10.0.0.0/8:443/'],
    ['fd00::/8', 'https://[fd00::/8]:443/'],
    ['  padded.example.org  ', 'https://padded.example.org:443/'],
  ])('%s means %s', (entry, expected) => {
    expect(canonical(entry)).toBe(expected);
  });

  it.each([
    ['127.0.0.1:9000', /port needs a scheme/],
    ['hooks.example.org:8443', /port needs a scheme/],
    ['[::1]:8443', /port needs a scheme/],
    ['10.0.0.0/8:8443', /CIDR always means https on port 443/],
    ['https://10.0.0.0/8', /CIDR always means https on port 443/],
    ['10.1.2.3/8', /host bits set/],
    ['10.0.0.0/33', /longer than 32 bits/],
    ['example.org/24', /not an IP address/],
    ['ftp://example.org', /http or https/],
    ['https://user@example.org', /user info/],
    ['https://allowed.com@evil.com/', /user info/],
    ['https://example.org/x?a=1', /no query or fragment/],
    ['https://example.org/x#f', /no query or fragment/],
    ['https://example.org/a%2Fb', /encoded slash/],
    ['https://example.org/%zz', /malformed escape/],
    ['https://example.org:0/', /port 0/],
    ['https://example.org:70000/', /not a valid URL/],
    ['*.com', /two labels/],
    ['https://*.10.0.0.1', /names, not to IP/],
    ['https://*.*.example.org', /not a valid host name/],
    ['https://0x7f.1:9000', /four decimal numbers/],
    ['exa mple.org', /spaces or control/],
    ['https://exa\tmple.org', /spaces or control/],
    ['example.org/path', /bare entry is a host/],
    ['a!b.example.org', /not a valid host name/],
    ['', /empty/],
  ])('refuses %j', (entry, expected) => {
    expect(reason(entry)).toMatch(expected);
  });
});

describe('ShareAllowlistText (NEXUS_SHARE_ALLOWLIST)', () => {
  it('splits on commas, trims, ignores blanks and keeps the entries as written', () => {
    expect(ShareAllowlistText.parse(' hooks.example.org, ,http://127.0.0.1:9000/inbox ,')).toEqual(['hooks.example.org', 'http://127.0.0.1:9000/inbox']);
  });
  it('names the first bad entry in one line', () => {
    const result = ShareAllowlistText.safeParse('hooks.example.org,127.0.0.1:9000');
    expect(result.success).toBe(false);
    const message = result.error?.issues[0]?.message ?? '';
    expect(message).toContain('entry "127.0.0.1:9000"');
    expect(message).not.toContain('\n');
  });
});

describe('share_allowlist in a policy file', () => {
  it('validates every entry with the same grammar', () => {
    expect(RiskPolicy.safeParse({ rules: [], share_allowlist: ['https://partner.example.org/in/'] }).success).toBe(true);
    const bad = RiskPolicy.safeParse({ rules: [], share_allowlist: ['https://partner.example.org/in/', 'http://127.0.0.1:99999'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['share_allowlist', 1]);
  });
});
