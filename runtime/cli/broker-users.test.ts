import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { brokerDefinitions, rabbitPasswordHash } from '../../infra/messaging/broker-definitions.js';
import { brokerUsers } from './broker-users.js';

const secrets = { RABBITMQ_API_PASSWORD: 'api-password-long', RABBITMQ_WORKER_PASSWORD: 'worker-password-long', RABBITMQ_BRIDGE_PASSWORD: 'bridge-password-long' };

describe('npm run broker:users', () => {
  it('defines one user per role and per remote agent, with the names this install uses', () => {
    const users = brokerUsers({ ...secrets, NEXUS_REPORTS_EXCHANGE: 'x.reports', NEXUS_REMOTE_PREFIX: 'p.', RABBITMQ_AGENTS: 'text.shout:agent-password-long' });
    expect(users.map((u) => u.name)).toEqual(['nexus-api', 'nexus-worker', 'nexus-bridge', 'nexus-agent-text.shout']);
    const [api, worker, bridge, agent] = users;
    // Names are matched exactly: the dots in them are not wildcards.
    expect(new RegExp(worker?.permission.write ?? '').test('x.reports')).toBe(true);
    expect(new RegExp(worker?.permission.write ?? '').test('xXreports')).toBe(false);
    expect(new RegExp(api?.permission.write ?? '').test('p.nexus.tasks')).toBe(false);
    expect(new RegExp(bridge?.permission.write ?? '').test('x.reports')).toBe(false);
    expect(new RegExp(agent?.permission.read ?? '').test('p.nexus.agent.text.shout')).toBe(true);
    expect(new RegExp(agent?.permission.read ?? '').test('p.nexus.agent.other')).toBe(false);
  });

  it('refuses short passwords or a bad agent entry, naming what is wrong', () => {
    expect(() => brokerUsers({ ...secrets, RABBITMQ_BRIDGE_PASSWORD: 'short' })).toThrow(/RABBITMQ_BRIDGE_PASSWORD: must be at least 12 characters/);
    expect(() => brokerUsers({ ...secrets, RABBITMQ_AGENTS: 'Bad Name:agent-password-long' })).toThrow(/not an agent name/);
    expect(() => brokerUsers({ ...secrets, RABBITMQ_AGENTS: 'text.shout:short' })).toThrow(/text\.shout.*at least 12/);
  });

  it('writes RabbitMQ password hashes, never a password', () => {
    const hash = rabbitPasswordHash('worker-password-long');
    const bytes = Buffer.from(hash, 'base64');
    const salt = bytes.subarray(0, 4);
    expect(bytes.subarray(4)).toEqual(createHash('sha256').update(Buffer.concat([salt, Buffer.from('worker-password-long')])).digest());
    const text = JSON.stringify(brokerDefinitions(brokerUsers(secrets)));
    for (const password of Object.values(secrets)) expect(text).not.toContain(password);
  });
});
