import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

describe('NEXUS_SHARE_ALLOWLIST at start-up', () => {
  it('keeps valid entries as written, old bare form included', () => {
    const config = loadConfig({ NEXUS_SHARE_ALLOWLIST: 'hooks.example.org, http://127.0.0.1:9000/inbox,,10.0.0.0/8' });
    expect(config.agents.shareAllowlist).toEqual(['hooks.example.org', 'http://127.0.0.1:9000/inbox', '10.0.0.0/8']);
  });

  it('stops with one line naming the variable and the bad entry', () => {
    const load = () => loadConfig({ NEXUS_SHARE_ALLOWLIST: 'hooks.example.org,127.0.0.1:9000' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^NEXUS_SHARE_ALLOWLIST=hooks\.example\.org,127\.0\.0\.1:9000 is invalid: entry "127\.0\.0\.1:9000": a port needs a scheme: write https:\/\/127\.0\.0\.1:9000 or http:\/\/127\.0\.0\.1:9000$/);
  });
});
