import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redisHosts, redisUrlWithLogin } from './redis-address.js';

describe('parseRedisUrl', () => {
  it('reads one server as ioredis does, and a cluster as its seed nodes and one login', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'server', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss+cluster://nexus-api:p%40ss@10.0.0.5:7000,cache-2.internal:7001,[::1]:7002/')).toEqual({
      kind: 'cluster', tls: true, username: 'nexus-api', password: 'p@ss',
      nodes: [{ host: '10.0.0.5', port: 7000 }, { host: 'cache-2.internal', port: 7001 }, { host: '::1', port: 7002 }],
    });
    expect(parseRedisUrl('redis+cluster://:only-password@h1:7000')).toMatchObject({ username: undefined, password: 'only-password', tls: false });
  });

  it('refuses what it cannot read rather than guessing', () => {
    for (const url of [
      'http://127.0.0.1:6379', 'redis+cluster://', 'redis+cluster://h1', 'redis+cluster://h1:7000,', 'redis+cluster://h1:0',
      'redis+cluster://h1:70000', 'redis+cluster://h1:7000/2', 'redis+cluster://a@b@h1:7000', 'redis+cluster://u:%zz@h1:7000',
      'redis+cluster://h 1:7000',
    ]) expect(parseRedisUrl(url), url).toBeUndefined();
  });
});

describe('redisUrlWithLogin and redisHosts', () => {
  it('put a role login in place of the one a URL held, for a server and a cluster', () => {
    expect(redisUrlWithLogin('redis://127.0.0.1:6379', 'nexus-api', 'a b')).toBe('redis://nexus-api:a%20b@127.0.0.1:6379');
    const cluster = redisUrlWithLogin('redis+cluster://admin:x@127.0.0.1:7000,[::1]:7001', 'nexus-bridge', 'p@ss');
    expect(cluster).toBe('redis+cluster://nexus-bridge:p%40ss@127.0.0.1:7000,[::1]:7001');
    expect(parseRedisUrl(cluster)).toMatchObject({ username: 'nexus-bridge', password: 'p@ss' });
    expect(redisHosts(cluster)).toEqual(['127.0.0.1', '::1']);
    expect(redisHosts('redis://[::1]:6379')).toEqual(['::1']);
  });
});
