import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { AMQP_URL, bootNexus, cleanupEnv, isolatedEnv, killHard, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'remote' };
const env = isolatedEnv('remote', { NEXUS_REMOTE_HEARTBEAT_TIMEOUT: '2s', NEXUS_AGENT_MAX_ATTEMPTS: '3', NEXUS_AGENT_RETRY_INTERVAL: '200ms' });
const prefix = `test.${env.TEMPORAL_TASK_QUEUE}.`;
env.NEXUS_REMOTE_PREFIX = prefix;
const workLog = join(tmpdir(), `nexus-reference-agent-${process.pid}.log`);
const agents: ChildProcess[] = [];
let nexus: RunningNexus;

/** Starts the reference agent as its own process and waits until it consumes its queue. */
async function startReferenceAgent(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agents/remote/reference/reference-agent.ts'], {
    env: { ...process.env, AMQP_URL, NEXUS_REMOTE_PREFIX: prefix, REFERENCE_AGENT_WORK_LOG: workLog },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  agents.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  for (let i = 0; i < 200 && !output.includes('"ready"'); i++) await new Promise((r) => setTimeout(r, 50));
  Object.assign(child, { output: () => output });
  return child;
}
const outputOf = (child: ChildProcess) => (child as ChildProcess & { output: () => string }).output();

async function catalogHas(name: string): Promise<boolean> {
  const res = await fetch(new URL('/agents', nexus.baseUrl));
  return ((await res.json()) as { agents: Array<{ name: string }> }).agents.some((a) => a.name === name);
}

async function runCommand(agent: string, params: Record<string, unknown>) {
  const correlationId = `${agent}-${Date.now()}`;
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent, params, correlation_id: correlationId }, tenant);
  return { res, stream, correlationId };
}
const ended = (stream: SseRecorder) => stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'), 30_000, 'the end');

beforeAll(async () => {
  rmSync(workLog, { force: true });
  nexus = await bootNexus(env, testLogger(env).logger);
});
afterAll(async () => {
  for (const agent of agents) await killHard(agent);
  await nexus?.stop();
  await cleanupEnv(env);
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  for (const q of [`${prefix}nexus.agent.text.shout`, `${prefix}nexus.tasks.replies`]) await channel.deleteQueue(q);
  for (const x of [`${prefix}nexus.tasks`, `${prefix}nexus.agents`]) await channel.deleteExchange(x);
  await connection.close();
  rmSync(workLog, { force: true });
});

describe('agents in other processes', () => {
  it('announce themselves: the catalog lists them and the API validates their params', async () => {
    await startReferenceAgent();
    for (let i = 0; i < 100 && !(await catalogHas('text.shout')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await catalogHas('text.shout')).toBe(true);
    const bad = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'text.shout', params: { text: 42 } }, tenant);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_params');
  });

  it('complete a command through the reference agent (async activity completion)', async () => {
    const { res, stream } = await runCommand('text.shout', { text: 'hello nexus' });
    expect(res.status).toBe(202);
    const reports = await ended(stream);
    stream.close();
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect((reports[2] as ReportOf<'task_completed'>).payload.result).toEqual({ text: 'HELLO NEXUS', length: 11 });
  });

  it('finish a task exactly once when the agent is killed mid-task and started again', async () => {
    const first = agents.at(-1);
    if (!first) throw new Error('no agent');
    const { stream, res } = await runCommand('text.shout', { text: 'slow one', delay_ms: 3000 });
    const key = `${res.body.workflow_id}:step-0`;
    for (let i = 0; i < 100 && !outputOf(first).includes(key); i++) await new Promise((r) => setTimeout(r, 50));
    expect(outputOf(first)).toContain(key);
    await killHard(first);
    await startReferenceAgent();
    const reports = await ended(stream);
    stream.close();
    expect(reports.filter((r) => r.report_type === 'task_completed')).toHaveLength(1);
    expect((reports.find((r) => r.report_type === 'task_completed') as ReportOf<'task_completed'>).payload.result).toEqual({ text: 'SLOW ONE', length: 8 });
    const done = existsSync(workLog) ? readFileSync(workLog, 'utf8').split('\n').filter((l) => l === key) : [];
    expect(done).toHaveLength(1);
  });

  it('fail with agent_unavailable when an announced agent has nobody listening', async () => {
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(`${prefix}nexus.agents`, 'fanout', { durable: true });
    channel.publish(`${prefix}nexus.agents`, '', Buffer.from(JSON.stringify({
      name: 'ghost.echo', description: 'announced, then gone', risk_level: 'GREEN', ttl_seconds: 60,
      params_schema: { type: 'object', properties: {}, additionalProperties: true },
    })));
    await channel.waitForConfirms();
    await connection.close();
    for (let i = 0; i < 100 && !(await catalogHas('ghost.echo')); i++) await new Promise((r) => setTimeout(r, 100));
    const { res, stream } = await runCommand('ghost.echo', {});
    expect(res.status).toBe(202);
    const failed = (await ended(stream)).find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');
    stream.close();
    expect(failed?.payload.error.code).toBe('agent_unavailable');
  });
});
