import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentQueue, remoteTopology } from '../../agents/remote/remote-topology.js';
import { deadLetterQueue } from '../../infra/messaging/report-topology.js';
import { brokerUsersCli } from '../../runtime/cli/broker-users.js';
import { freePort } from '../support/local-server.js';
import { AMQP_URL, cleanupEnv, isolatedEnv, killHard, post, spawnRole, testLogger } from '../support/nexus-under-test.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';

/**
 * RabbitMQ users per role, as `npm run broker:users -- --apply` makes them on the local broker (and the compose file
 * loads at boot): the roles run as separate processes, each with its own login, and a command goes through; then
 * each login tries what its role must not do, with amqplib.
 */
const run = promisify(execFile);
const id = randomUUID().slice(0, 8);
const env = isolatedEnv('broker-users', { NEXUS_REMOTE_PREFIX: `test-${id}.` });
const prefix = `t${id}-`;
const password = () => randomBytes(18).toString('base64url');
const secrets = { RABBITMQ_API_PASSWORD: password(), RABBITMQ_WORKER_PASSWORD: password(), RABBITMQ_BRIDGE_PASSWORD: password() };
const agentPassword = password();
const urlOf = (user: string, pass: string) => `amqp://${user}:${pass}@127.0.0.1:5672`;
const logins = {
  api: urlOf(`${prefix}api`, secrets.RABBITMQ_API_PASSWORD),
  worker: urlOf(`${prefix}worker`, secrets.RABBITMQ_WORKER_PASSWORD),
  bridge: urlOf(`${prefix}bridge`, secrets.RABBITMQ_BRIDGE_PASSWORD),
  agent: urlOf(`${prefix}agent-text.shout`, agentPassword),
};
const names = {
  exchange: env.NEXUS_REPORTS_EXCHANGE ?? '',
  bridgeQueue: env.NEXUS_BRIDGE_QUEUE ?? '',
  remote: remoteTopology(env.NEXUS_REMOTE_PREFIX),
  agentQueue: agentQueue(env.NEXUS_REMOTE_PREFIX ?? '', 'text.shout'),
};
const tenant = { org_id: 'acme', project_id: `broker-${id}` };
const roles: ChildProcess[] = [];
let baseUrl: string;

beforeAll(async () => {
  const lines: string[] = [];
  await brokerUsersCli(['--apply'], { ...env, ...secrets, RABBITMQ_USER_PREFIX: prefix, RABBITMQ_AGENTS: `text.shout:${agentPassword}` }, (l) => lines.push(l));
  expect(lines.join('\n')).toContain(`${prefix}bridge`);
  // The import is asynchronous: wait until every login works.
  await until(async () => (await Promise.all(Object.values(logins).map((url) => amqplib.connect(url).then((c) => c.close().then(() => true), () => false)))).every(Boolean), 30_000, 'the imported users to log in');
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const { logFile } = testLogger(env);
  // The bridge first: with its own login it may declare the report topology, but never publish into it.
  for (const role of ['bridge', 'worker', 'api'] as const) roles.push(await spawnRole(role, { ...env, PORT: String(port), AMQP_URL: logins[role] }, logFile));
}, 180_000);

afterAll(async () => {
  for (const child of roles) await killHard(child);
  await cleanupEnv(env);
  // This file's own remote-agent names (the prefix): queues and exchanges nobody else uses.
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  for (const queue of [names.agentQueue, names.remote.repliesQueue]) await channel.deleteQueue(queue);
  for (const exchange of [names.remote.tasksExchange, names.remote.announcementsExchange]) await channel.deleteExchange(exchange);
  await connection.close();
  for (const user of ['api', 'worker', 'bridge', 'agent-text.shout']) await run('rabbitmqctl', ['delete_user', `${prefix}${user}`]).catch(() => undefined);
}, 120_000);

/** What the broker answers when `login` tries `op`: undefined when it was allowed, else its refusal. */
async function attempt(login: string, op: (channel: ConfirmChannel) => Promise<unknown>): Promise<string | undefined> {
  const connection = await amqplib.connect(login);
  try {
    const channel = await connection.createConfirmChannel();
    let closed: string | undefined;
    channel.on('error', (err: Error) => {
      closed = err.message;
    });
    try {
      await op(channel);
      await channel.waitForConfirms();
    } catch (err) {
      closed ??= (err as Error).message;
    }
    return closed;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

const consume = (queue: string) => (ch: ConfirmChannel) => ch.consume(queue, () => undefined);
const publish = (exchange: string, key: string) => async (ch: ConfirmChannel) => {
  ch.publish(exchange, key, Buffer.from('{}'), { persistent: true });
};

describe('RabbitMQ users per role', () => {
  it('run the roles as separate processes, each with its own login: a command goes through', async () => {
    const stream = await SseRecorder.open(baseUrl, tenant, { correlationId: `least-${id}` });
    const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { hi: 1 }, correlation_id: `least-${id}` }, tenant);
    expect(res.status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the command to complete');
    stream.close();
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
  });

  it('refuse each login what its role must not do', async () => {
    const refused = expect.stringMatching(/ACCESS.REFUSED/);
    // The worker and the API publish reports; they cannot read the bridge's queue or its dead letters.
    expect(await attempt(logins.worker, consume(names.bridgeQueue))).toEqual(refused);
    expect(await attempt(logins.worker, consume(deadLetterQueue(names)))).toEqual(refused);
    expect(await attempt(logins.api, consume(names.bridgeQueue))).toEqual(refused);
    // Nobody sends straight to the bridge's queue through the default exchange.
    expect(await attempt(logins.worker, publish('', names.bridgeQueue))).toEqual(refused);
    // Only the worker consumes remote agents' replies and publishes their tasks.
    expect(await attempt(logins.api, consume(names.remote.repliesQueue))).toEqual(refused);
    expect(await attempt(logins.api, publish(names.remote.tasksExchange, 'text.shout'))).toEqual(refused);
    expect(await attempt(logins.bridge, publish(names.remote.tasksExchange, 'text.shout'))).toEqual(refused);
    // The bridge reads reports; it cannot write one.
    expect(await attempt(logins.bridge, publish(names.exchange, 'acme.x.task_completed'))).toEqual(refused);
    expect(await attempt(logins.bridge, consume(names.remote.repliesQueue))).toEqual(refused);
    // A remote agent: its own queue and nothing of NEXUS's reports or replies.
    expect(await attempt(logins.agent, consume(names.bridgeQueue))).toEqual(refused);
    expect(await attempt(logins.agent, publish(names.exchange, 'acme.x.task_completed'))).toEqual(refused);
    expect(await attempt(logins.agent, consume(names.remote.repliesQueue))).toEqual(refused);
    expect(await attempt(logins.agent, (ch) => ch.assertQueue(names.bridgeQueue + '-mine', { durable: false }))).toEqual(refused);
    // What each role does do is allowed (the first test ran on it); an agent's own queue too.
    expect(await attempt(logins.agent, async (ch) => {
      await ch.assertQueue(names.agentQueue, { durable: true });
      await ch.bindQueue(names.agentQueue, names.remote.tasksExchange, 'text.shout');
      await ch.consume(names.agentQueue, () => undefined);
    })).toBeUndefined();
    expect(await attempt(logins.worker, publish(names.remote.tasksExchange, 'nobody.listens'))).toBeUndefined();
  });
});
