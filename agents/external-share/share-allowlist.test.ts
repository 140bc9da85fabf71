import { describe, expect, it } from 'vitest';
import { parseShareDestination } from '../../contracts/index.js';
import { ShareAllowlist, ShareAllowlistError } from './share-allowlist.js';

/** What the agent does with a URL: normalize it (refusing what cannot be a destination), then match it. */
function allows(list: ShareAllowlist, url: string): boolean {
  const parsed = parseShareDestination(url);
  return parsed.ok && list.match(parsed.value) !== undefined;
}
const destination = (url: string) => {
  const parsed = parseShareDestination(url);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
};

describe('ShareAllowlist: scheme and port', () => {
  const list = new ShareAllowlist(['http://127.0.0.1:9000/inbox', 'https://hooks.example.com/nexus/']);
  it('allows only the port an entry names', () => {
    expect(allows(list, 'http://127.0.0.1:9000/inbox')).toBe(true);
    expect(allows(list, 'http://127.0.0.1:7233/inbox')).toBe(false);
    expect(allows(list, 'http://127.0.0.1/inbox')).toBe(false);
    expect(allows(list, 'http://127.0.0.1:09000/inbox')).toBe(true); // the URL parser reads 09000 as 9000
  });
  it('allows only the scheme an entry names', () => {
    expect(allows(list, 'https://127.0.0.1:9000/inbox')).toBe(false);
    expect(allows(list, 'http://hooks.example.com/nexus/x')).toBe(false);
    expect(allows(list, 'https://hooks.example.com/nexus/x')).toBe(true);
  });
  it('treats a port written as the default like no port at all', () => {
    expect(allows(list, 'https://hooks.example.com:443/nexus/x')).toBe(true);
    expect(allows(list, 'https://hooks.example.com:8443/nexus/x')).toBe(false);
  });
});

describe('ShareAllowlist: the old bare form', () => {
  const list = new ShareAllowlist(['hooks.example.org', '127.0.0.1', '10.1.0.0/16', 'fd00::/8']);
  it('means https on 443, every path — never every port', () => {
    expect(allows(list, 'https://hooks.example.org/any/path')).toBe(true);
    expect(allows(list, 'http://hooks.example.org/')).toBe(false);
    expect(allows(list, 'https://hooks.example.org:8443/')).toBe(false);
    expect(allows(list, 'https://127.0.0.1/')).toBe(true);
    expect(allows(list, 'http://127.0.0.1:7233/api/v1/namespaces')).toBe(false);
    expect(allows(list, 'https://127.0.0.1:8233/')).toBe(false);
  });
  it('matches CIDRs on https 443 only', () => {
    expect(allows(list, 'https://10.1.2.3/')).toBe(true);
    expect(allows(list, 'https://10.2.0.1/')).toBe(false);
    expect(allows(list, 'https://10.1.2.3:8443/')).toBe(false);
    expect(allows(list, 'https://[fd00::1]/')).toBe(true);
    expect(allows(list, 'https://[fe80::1]/')).toBe(false);
  });
  it('names hosts exactly: no subdomains, no parents', () => {
    expect(allows(list, 'https://evil.hooks.example.org/')).toBe(false);
    expect(allows(list, 'https://example.org/')).toBe(false);
    expect(allows(list, 'https://hooks.example.org.evil.com/')).toBe(false);
  });
});

describe('ShareAllowlist: path prefixes', () => {
  const list = new ShareAllowlist(['https://h.example.com/nexus', 'https://d.example.com/in/', 'https://e.example.com/caf%C3%A9/']);
  it('ends a prefix at a slash', () => {
    expect(allows(list, 'https://h.example.com/nexus')).toBe(true);
    expect(allows(list, 'https://h.example.com/nexus/a/b')).toBe(true);
    expect(allows(list, 'https://h.example.com/nexus-evil')).toBe(false);
    expect(allows(list, 'https://h.example.com/nexusx/a')).toBe(false);
    expect(allows(list, 'https://h.example.com/')).toBe(false);
    expect(allows(list, 'https://h.example.com/NEXUS/a')).toBe(false); // paths are case-sensitive
  });
  it('with a trailing slash, allows what is under the folder only', () => {
    expect(allows(list, 'https://d.example.com/in/x')).toBe(true);
    expect(allows(list, 'https://d.example.com/in/')).toBe(true);
    expect(allows(list, 'https://d.example.com/in')).toBe(false);
    expect(allows(list, 'https://d.example.com/inbox')).toBe(false);
  });
  it('resolves dot segments, in every spelling, before matching', () => {
    expect(allows(list, 'https://h.example.com/nexus/../admin')).toBe(false);
    expect(allows(list, 'https://h.example.com/nexus/%2e%2e/admin')).toBe(false);
    expect(allows(list, 'https://h.example.com/nexus/.%2E/admin')).toBe(false);
    expect(allows(list, 'https://h.example.com/nexus/./a/../b')).toBe(true);
    expect(allows(list, 'https://h.example.com/other/../nexus/a')).toBe(true);
    expect(allows(list, 'https://h.example.com/nexus\\..\\admin')).toBe(false); // backslashes are slashes in http URLs
  });
  it('refuses encoded slashes and backslashes instead of guessing how the receiver decodes them', () => {
    expect(allows(list, 'https://h.example.com/nexus/..%2Fadmin')).toBe(false);
    expect(allows(list, 'https://h.example.com/nexus/a%2fb')).toBe(false);
    expect(allows(list, 'https://h.example.com/nexus/..%5Cadmin')).toBe(false);
  });
  it('compares percent-encoding in one normal form', () => {
    expect(allows(list, 'https://h.example.com/%6Eexus/a')).toBe(true);
    expect(allows(list, 'https://h.example.com/%6eexus%2Da')).toBe(false); // /nexus-a: still not under /nexus
    expect(allows(list, 'https://e.example.com/café/x')).toBe(true);
    expect(allows(list, 'https://e.example.com/caf%c3%a9/x')).toBe(true);
  });
});

describe('ShareAllowlist: hosts', () => {
  const list = new ShareAllowlist(['https://*.example.org', 'https://Hooks.Example.COM.', 'http://[::1]:9000', 'https://bücher.example/']);
  it('ignores case and one trailing dot, on both sides', () => {
    expect(allows(list, 'https://HOOKS.example.com/')).toBe(true);
    expect(allows(list, 'https://hooks.example.com./')).toBe(true);
    expect(allows(list, 'https://hooks.example.com../')).toBe(false);
  });
  it('lets a wildcard cover exactly one label', () => {
    expect(allows(list, 'https://a.example.org/x')).toBe(true);
    expect(allows(list, 'https://A.Example.Org./x')).toBe(true);
    expect(allows(list, 'https://example.org/x')).toBe(false);
    expect(allows(list, 'https://a.b.example.org/x')).toBe(false);
    expect(allows(list, 'https://aexample.org/x')).toBe(false);
    expect(allows(list, 'https://a.example.org.evil.com/x')).toBe(false);
    expect(allows(list, 'https://1.2.3.4/x')).toBe(false);
  });
  it('matches IPv6 literals in their canonical form', () => {
    expect(allows(list, 'http://[::1]:9000/')).toBe(true);
    expect(allows(list, 'http://[0:0:0:0:0:0:0:1]:9000/')).toBe(true);
    expect(allows(list, 'http://[::1]:9001/')).toBe(false);
    expect(allows(list, 'http://[::2]:9000/')).toBe(false);
  });
  it('matches international names in punycode', () => {
    expect(allows(list, 'https://xn--bcher-kva.example/')).toBe(true);
    expect(allows(list, 'https://BÜCHER.example/')).toBe(true);
  });
  it('is not fooled by user info: the host is what follows the @', () => {
    const allowed = new ShareAllowlist(['https://allowed.com']);
    expect(allows(allowed, 'https://allowed.com@evil.com/')).toBe(false);
    expect(allows(allowed, 'https://allowed.com:443@evil.com/')).toBe(false);
    expect(allows(allowed, 'https://user@allowed.com/')).toBe(false); // refused outright: credentials in a share URL
    expect(allows(allowed, 'https://evil.com#@allowed.com/')).toBe(false);
    expect(allows(allowed, 'https://evil.com\\@allowed.com/')).toBe(false);
    expect(allows(allowed, 'https://allowed.com/')).toBe(true);
  });
  it('reads alternative IPv4 spellings as the address they are', () => {
    const loopback = new ShareAllowlist(['http://127.0.0.1:9000']);
    expect(allows(loopback, 'http://0x7f.1:9000/')).toBe(true);
    expect(allows(loopback, 'http://2130706433:9000/')).toBe(true);
    expect(allows(loopback, 'http://0x7f.1:9001/')).toBe(false);
  });
});

describe('ShareAllowlist.allowsAddress (the connect-time guard)', () => {
  const list = new ShareAllowlist(['http://127.0.0.1:9000/inbox', 'http://localhost:9100', '10.0.0.0/8']);
  it('opens an internal address only for the scheme, port and path its IP entry names', () => {
    expect(list.allowsAddress('127.0.0.1', destination('http://127.0.0.1:9000/inbox/x'))).toBe(true);
    expect(list.allowsAddress('127.0.0.1', destination('http://127.0.0.1:7233/inbox'))).toBe(false);
    expect(list.allowsAddress('127.0.0.1', destination('http://127.0.0.1:9000/other'))).toBe(false);
    expect(list.allowsAddress('10.9.8.7', destination('https://internal.example/'))).toBe(true);
    expect(list.allowsAddress('10.9.8.7', destination('http://internal.example:8080/'))).toBe(false);
  });
  it('never opens an address for an entry that names the host only', () => {
    expect(list.allowsAddress('127.0.0.1', destination('http://localhost:9100/'))).toBe(false);
    expect(list.allowsAddress('not-an-ip', destination('http://localhost:9100/'))).toBe(false);
  });
});

describe('ShareAllowlist construction', () => {
  it('allows nothing when empty', () => {
    expect(allows(new ShareAllowlist([]), 'https://example.com/')).toBe(false);
  });
  it('refuses an entry that does not parse, naming it', () => {
    expect(() => new ShareAllowlist(['127.0.0.1:9000'])).toThrow(ShareAllowlistError);
    expect(() => new ShareAllowlist(['127.0.0.1:9000'])).toThrow(/127\.0\.0\.1:9000/);
  });
});
