import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

/**
 * The compose file is the deployment most people start from: every variable the README documents must reach the
 * NEXUS containers, and the defaults it writes (`${VAR:-default}`; an empty string is not "unset" to the config
 * loader) must be a configuration NEXUS accepts.
 */
const compose = readFileSync(new URL('../../docker/docker-compose.nexus.yml', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Documented but not for compose, and why. */
const NOT_IN_COMPOSE = new Set([
  // The roles run as separate containers there, each with its own REDIS_URL / AMQP_URL.
  'NEXUS_API_REDIS_URL', 'NEXUS_WORKER_REDIS_URL', 'NEXUS_BRIDGE_REDIS_URL', 'NEXUS_API_AMQP_URL', 'NEXUS_WORKER_AMQP_URL', 'NEXUS_BRIDGE_AMQP_URL',
  // `./nexus start` only: local service users and the embedded dev server's CLI.
  'NEXUS_LOCAL_USERS', 'TEMPORAL_CLI_PATH',
]);

function documentedVariables(): string[] {
  const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
  return [...new Set(rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] ?? '')))];
}

/** The shared environment of the NEXUS services, with every `${VAR:-default}` taken at its default. */
function composeDefaults(): Record<string, string> {
  const block = compose.slice(compose.indexOf('x-nexus-env: &nexus-env'), compose.indexOf('\nservices:'));
  const env: Record<string, string> = {};
  for (const [, name, raw] of block.matchAll(/^ {2}([A-Z][A-Z0-9_]*): (.*)$/gm)) {
    let value = raw ?? '';
    // Innermost first: a default may itself name a variable (TEMPORAL_UI_URL's port).
    for (let before = ''; before !== value;) {
      before = value;
      value = value.replace(/\$\{[A-Z0-9_]+:-([^${}]*)\}/g, '$1');
    }
    env[name ?? ''] = value.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

describe('the compose file', () => {
  it('passes every variable the README documents to the NEXUS containers', () => {
    const documented = documentedVariables();
    expect(documented.length).toBeGreaterThan(60);
    const passed = new Set([...compose.matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]));
    expect(documented.filter((name) => !NOT_IN_COMPOSE.has(name) && !passed.has(name))).toEqual([]);
  });

  it('writes defaults NEXUS accepts', () => {
    const env = composeDefaults();
    expect(env.NEXUS_SSE_HEARTBEAT).toBe('15s');
    expect(env.ANTHROPIC_BASE_URL).toBe('');
    const config = loadConfig(env);
    expect(config.llm.openai.baseUrl).toBeUndefined();
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.workflow.agentHeartbeatTimeoutMs).toBe(30_000);
  });
});
