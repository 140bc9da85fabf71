import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineLocalUsers, LOCAL_USERS_FILE } from '../../runtime/cli/local-users.js';
import { UnsafePathError } from '../../infra/files/private-paths.js';
import { freePort } from '../support/local-server.js';
import { AMQP_URL, cleanupEnv, isolatedEnv, killHard, REDIS_URL, spawnRole, testLogger } from '../support/nexus-under-test.js';
import { serviceAddress } from '../../infra/service-address.js';
import { expectApprovedShareDelivered } from '../support/red-share.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * `./nexus start` on local services: runtime/cli/local-users.ts defines a RabbitMQ and a Redis user per role and
 * writes their URLs; the one process then signs each role in with its own login, and an approved RED share goes
 * through with every role holding only its own permissions.
 */
const run = promisify(execFile);
const id = randomUUID().slice(0, 8);
const userPrefix = `t${id}-`;
const dataDir = mkdtempSync(join(tmpdir(), 'nexus-local-users-'));
const env = isolatedEnv('local-users', { NEXUS_DATA_DIR: dataDir, NEXUS_REMOTE_PREFIX: `test-${id}.`, RABBITMQ_USER_PREFIX: userPrefix, REDIS_USER_PREFIX: userPrefix });
const file = join(dataDir, LOCAL_USERS_FILE);
const receiver = new WebhookReceiver();
const tenant = { org_id: 'acme', project_id: `local-users-${id}` };
const roles = ['api', 'worker', 'bridge'] as const;
let nexus: ChildProcess | undefined;

/** The `NAME=value` lines of the users file, as `./nexus start` exports them. */
function fileVars(): Record<string, string> {
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => /^NEXUS_\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

beforeAll(async () => {
  const result = await defineLocalUsers(env, () => undefined);
  expect(result).toEqual({ file });
}, 60_000);

afterAll(async () => {
  if (nexus) await killHard(nexus);
  await receiver.stop();
  await cleanupEnv(env);
  const admin = new Redis(REDIS_URL);
  for (const role of roles) {
    await admin.call('ACL', 'DELUSER', `${userPrefix}${role}`);
    await run('rabbitmqctl', ['delete_user', `${userPrefix}${role}`]).catch(() => undefined);
  }
  await admin.quit();
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

describe('local service users (./nexus start)', () => {
  it('keeps one login per role and service in a file only this user can read, and keeps its passwords when run again', async () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const vars = fileVars();
    for (const role of roles) {
      expect(new URL(vars[`NEXUS_${role.toUpperCase()}_AMQP_URL`] ?? '').username).toBe(`${userPrefix}${role}`);
      expect(new URL(vars[`NEXUS_${role.toUpperCase()}_REDIS_URL`] ?? '').username).toBe(`${userPrefix}${role}`);
    }
    // Six distinct passwords, none of them the broker's or Redis's default login.
    expect(new Set(Object.values(vars).map((url) => new URL(url).password)).size).toBe(6);
    await defineLocalUsers(env, () => undefined);
    expect(fileVars()).toEqual(vars);
  });

  it('runs every role in one process, each signed in as its own user: an approved RED share goes through', async () => {
    const hookUrl = await receiver.start();
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    nexus = await spawnRole('all', { ...env, ...fileVars(), PORT: String(port), NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin }, testLogger(env).logFile);

    await expectApprovedShareDelivered({ baseUrl, tenant, hookUrl, label: `local-users-${id}` }, () => receiver.deliveries);

    // The process's connections are the three users', not the default logins it was also given.
    const admin = new Redis(REDIS_URL);
    const clients = String(await admin.call('CLIENT', 'LIST')).split('\n').map((line) => /\buser=(\S+)/.exec(line)?.[1]).filter((user) => user?.startsWith(userPrefix));
    await admin.quit();
    expect(new Set(clients)).toEqual(new Set(roles.map((role) => `${userPrefix}${role}`)));
    const { stdout } = await run('rabbitmqctl', ['list_connections', 'user', '--quiet', '--no-table-headers']);
    const brokerUsers = stdout.split('\n').map((l) => l.trim()).filter((user) => user.startsWith(userPrefix));
    expect(new Set(brokerUsers)).toEqual(new Set(roles.map((role) => `${userPrefix}${role}`)));

    // /health and the log name where each service is, and never a login's password.
    const passwords = Object.values(fileVars()).map((url) => new URL(url).password);
    const health = await fetch(new URL('/health', baseUrl));
    const text = await health.text();
    expect(health.status).toBe(200);
    expect(JSON.parse(text).addresses).toMatchObject({ redis: serviceAddress(REDIS_URL), rabbitmq: serviceAddress(AMQP_URL) });
    const log = readFileSync(testLogger(env).logFile, 'utf8');
    expect(log).toContain(`"address":"${serviceAddress(REDIS_URL)}"`);
    for (const password of passwords) {
      expect(text).not.toContain(password);
      expect(log).not.toContain(password);
    }
    // JSON only, one line per entry, no terminal colours, and no many-line message above debug (the bundler's).
    const lines = log.trimEnd().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(log).not.toContain('\u001b');
    expect(entries.filter((e) => e.level !== 'debug' && e.msg.includes('\n'))).toEqual([]);
  });

  it('leaves services and logins it does not own alone', async () => {
    expect(await defineLocalUsers({ ...env, NEXUS_LOCAL_USERS: 'off' }, () => undefined)).toEqual({ skipped: 'NEXUS_LOCAL_USERS=off' });
    expect(await defineLocalUsers({ ...env, NEXUS_WORKER_AMQP_URL: 'amqp://mine:secret@127.0.0.1:5672' }, () => undefined)).toEqual({ skipped: 'NEXUS_WORKER_AMQP_URL set by the operator' });
    expect(await defineLocalUsers({ ...env, AMQP_URL: 'amqp://nexus:secret@rabbit.internal:5672' }, () => undefined)).toEqual({ skipped: 'REDIS_URL or AMQP_URL is not on this machine' });
  });

  it('refuses a users file that others can read or write: its passwords may be known', async () => {
    const planted = mkdtempSync(join(tmpdir(), 'nexus-local-users-planted-'));
    try {
      chmodSync(planted, 0o700);
      writeFileSync(join(planted, LOCAL_USERS_FILE), `NEXUS_API_AMQP_URL=amqp://${userPrefix}api:known-password-123@127.0.0.1:5672\n`, { mode: 0o666 });
      chmodSync(join(planted, LOCAL_USERS_FILE), 0o666);
      await expect(defineLocalUsers({ ...env, NEXUS_DATA_DIR: planted }, () => undefined)).rejects.toBeInstanceOf(UnsafePathError);
    } finally {
      rmSync(planted, { recursive: true, force: true });
    }
  });
});
