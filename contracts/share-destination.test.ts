import { describe, expect, it } from 'vitest';
import { parseShareDestination } from './share-destination.js';

const href = (url: string) => {
  const parsed = parseShareDestination(url);
  return parsed.ok ? parsed.value.href : `refused: ${parsed.reason}`;
};

describe('parseShareDestination', () => {
  it.each([
    ['https://Hooks.Example.COM./nexus/in', 'https://hooks.example.com:443/nexus/in'],
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000/'],
    ['http://0x7f.1:9000/x', 'http://127.0.0.1:9000/x'],
    ['http://[0:0::1]:9000/x', 'http://[::1]:9000/x'],
    ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]:80/'],
    ['https://h.example.com/a/../b/./c', 'https://h.example.com:443/b/c'],
    ['https://h.example.com/a/%2e%2E/b', 'https://h.example.com:443/b'],
    ['https://h.example.com/%6Eexus/%7e/%3a', 'https://h.example.com:443/nexus/~/%3A'],
    ['https://h.example.com/x?b=1&a=2#frag', 'https://h.example.com:443/x?b=1&a=2'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example:443/'],
  ])('%s → %s', (url, expected) => {
    expect(href(url)).toBe(expected);
  });

  it.each([
    ['https://allowed.com@evil.com/', /user info/],
    ['https://a:b@h.example.com/', /user info/],
    ['https://h.example.com/a%2F..%2Fadmin', /encoded slash/],
    ['https://h.example.com/a%5c..%5cadmin', /encoded slash/],
    ['https://h.example.com/%zz', /malformed escape/],
    ['https://h.example.com../', /not a valid host name/],
    ['https://a!b.example.com/', /not a valid host name/],
    ['https://h.example.com:0/', /port 0/],
    ['https://h.example.com/\nx', /control characters/],
    ['ftp://h.example.com/', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['not a url', /control characters|not a URL/],
  ])('refuses %j', (url, expected) => {
    expect(href(url)).toMatch(expected);
  });
});
