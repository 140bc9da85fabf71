import { describe, expect, it } from 'vitest';
import { serviceAddress } from './service-address.js';

describe('serviceAddress', () => {
  it('keeps scheme, host and port and drops the login, password, database and vhost', () => {
    expect(serviceAddress('redis://nexus-api:s3cret@10.0.0.5:6380/2')).toBe('redis://10.0.0.5:6380');
    expect(serviceAddress('amqp://nexus-worker:p%40ss@rabbit.internal/nexus')).toBe('amqp://rabbit.internal');
    expect(serviceAddress('rediss://:only-password@cache.example:6379')).toBe('rediss://cache.example:6379');
    expect(serviceAddress('redis+cluster://nexus-api:s3cret@10.0.0.5:7000,10.0.0.6:7000')).toBe('redis+cluster://10.0.0.5:7000,10.0.0.6:7000');
  });

  it('never echoes a URL it cannot read (it might hold a password)', () => {
    expect(serviceAddress('not a url with s3cret')).toBe('an unreadable URL');
  });
});
