import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../contracts/duration.js';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('has working defaults for a local install', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(8000);
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'nexus', uiPort: 8233 });
    expect(config.workflow.askTimeoutMs).toBe(24 * 3_600_000);
    expect(config.agents.shareAllowlist).toEqual([]);
  });
  it('reads the documented variables', () => {
    const config = loadConfig({ PORT: '9000', NEXUS_ASK_TIMEOUT: '90s', NEXUS_SHARE_ALLOWLIST: 'hooks.example.org, 10.0.0.0/8', TEMPORAL_UI_PORT: '8300' });
    expect(config.http.port).toBe(9000);
    expect(config.workflow.askTimeoutMs).toBe(90_000);
    expect(config.agents.shareAllowlist).toEqual(['hooks.example.org', '10.0.0.0/8']);
    expect(config.temporal.uiPort).toBe(8300);
  });
  it('gives each role the shared login unless it has its own', () => {
    const config = loadConfig({ AMQP_URL: 'amqp://shared@127.0.0.1:5672', NEXUS_BRIDGE_AMQP_URL: 'amqp://bridge@127.0.0.1:5672', NEXUS_WORKER_REDIS_URL: 'redis://worker@127.0.0.1:6379' });
    expect(config.amqp.roleUrls).toEqual({ api: 'amqp://shared@127.0.0.1:5672', worker: 'amqp://shared@127.0.0.1:5672', bridge: 'amqp://bridge@127.0.0.1:5672' });
    expect(config.redis.roleUrls).toEqual({ api: 'redis://127.0.0.1:6379', worker: 'redis://worker@127.0.0.1:6379', bridge: 'redis://127.0.0.1:6379' });
    expect(() => loadConfig({ NEXUS_API_AMQP_URL: 'redis://127.0.0.1:6379' })).toThrow(/^NEXUS_API_AMQP_URL=/);
  });
  it('takes a Redis Cluster as its seed nodes, per role too, and refuses a seed list it cannot read', () => {
    const config = loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.5:7000,10.0.0.6:7000', NEXUS_BRIDGE_REDIS_URL: 'redis+cluster://nexus-bridge:pw@10.0.0.5:7000' });
    expect(config.redis.roleUrls).toEqual({ api: 'redis+cluster://10.0.0.5:7000,10.0.0.6:7000', worker: 'redis+cluster://10.0.0.5:7000,10.0.0.6:7000', bridge: 'redis+cluster://nexus-bridge:pw@10.0.0.5:7000' });
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.5' })).toThrow(/^REDIS_URL=.* is invalid: must be a redis:\/\/ URL, or redis\+cluster:\/\//);
    expect(() => loadConfig({ NEXUS_API_REDIS_URL: 'redis+cluster://nexus-api:s3cret@10.0.0.5:7000/1' })).toThrow(/^NEXUS_API_REDIS_URL=/);
  });
  it('sends traces only where OTEL_EXPORTER_OTLP_* says, as the OpenTelemetry SDKs read those names', () => {
    expect(loadConfig({}).tracing).toEqual({ tracesUrl: undefined, headers: {}, serviceName: 'nexus', sampleRatio: 1 });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.tracesUrl).toBe('http://collector:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.org/in' }).tracing.tracesUrl)
      .toBe('https://traces.example.org/in');
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cret, x-team = nexus', OTEL_SERVICE_NAME: 'nexus-eu', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    expect(config.tracing).toMatchObject({ headers: { authorization: 'Bearer s3cret', 'x-team': 'nexus' }, serviceName: 'nexus-eu', sampleRatio: 0.25 });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318 is invalid/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/^OTEL_TRACES_SAMPLER_ARG=2 is invalid/);
    // A collector's credentials are never echoed back, even in a malformed list.
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=%E0%A4%A' })).toThrow(/^OTEL_EXPORTER_OTLP_HEADERS=\*\*\* is invalid: must be name=value/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'no-value-here' })).toThrow(/^OTEL_EXPORTER_OTLP_HEADERS=\*\*\* is invalid/);
  });
  it('fails with one line naming the variable', () => {
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'no-port' })).toThrow(/^TEMPORAL_ADDRESS=no-port is invalid: /);
    expect(() => loadConfig({ NEXUS_ASK_TIMEOUT: '0s' })).toThrow(ConfigError);
    expect(() => loadConfig({ LLM_REQUIRED: 'true' })).toThrow('LLM_REQUIRED=true but no provider configured');
    expect(loadConfig({ LLM_REQUIRED: 'true', ANTHROPIC_API_KEY: 'k' }).llm.providers).toEqual(['anthropic']);
  });

  it('takes a Standard Webhooks secret of 24 to 64 bytes, and never echoes a bad one', () => {
    const good = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(loadConfig({ NEXUS_NOTIFY_WEBHOOK_SECRET: good }).notify).toMatchObject({ webhookSecret: good, timeoutMs: 10_000, retryIntervalMs: 2_000, maxAttempts: 8 });
    for (const bad of ['plain-secret-not-whsec', `whsec_${Buffer.alloc(8, 7).toString('base64')}`, 'whsec_not base64!']) {
      expect(() => loadConfig({ NEXUS_NOTIFY_WEBHOOK_SECRET: bad })).toThrow(/^NEXUS_NOTIFY_WEBHOOK_SECRET=\*\*\* is invalid: must be whsec_/);
    }
  });
});

describe('parseDuration', () => {
  it('understands the units people write', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('-5s')).toBeUndefined();
  });
});
