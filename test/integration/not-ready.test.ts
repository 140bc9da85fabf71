import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { isListening } from '../../runtime/devserver/port-check.js';
import { cleanupEnv, isolatedEnv, killHard } from '../support/nexus-under-test.js';

const children: ChildProcess[] = [];
const servers: Server[] = [];
const randomPort = () => 20_000 + Math.floor(Math.random() * 20_000);

afterAll(async () => {
  for (const child of children) await killHard(child);
  for (const server of servers) server.close();
});

/** Starts a role and collects everything it prints, so a test can wait for log lines. */
function startRole(role: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', '--role', role], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const waitFor = async (pattern: RegExp, count = 1, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while ((output.match(new RegExp(pattern, 'g')) ?? []).length < count) {
      if (child.exitCode !== null) throw new Error(`${role} exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, waitFor, output: () => output };
}

describe('dependencies that are not ready at start-up', () => {
  it('Redis: the bridge logs each retry, stays up, and starts once Redis answers', async () => {
    const port = randomPort();
    const env = isolatedEnv('not-ready-redis', { REDIS_URL: `redis://127.0.0.1:${port}` });
    const bridge = startRole('bridge', env);
    await bridge.waitFor(/redis not reachable, retrying/, 3);
    expect(bridge.child.exitCode).toBeNull();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    children.push(redis);
    await bridge.waitFor(/NEXUS is running \(role: bridge\)/);
    expect(bridge.output()).toMatch(/"attempt":3/);
    await cleanupEnv({ ...env, NEXUS_REDIS_PREFIX: '__none__' });
  });

  it('RabbitMQ: the API logs each retry, stays up, and starts once the broker answers', async () => {
    const port = randomPort();
    const env = isolatedEnv('not-ready-amqp', { AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}` });
    const api = startRole('api', env);
    await api.waitFor(/rabbitmq not reachable/, 3);
    expect(api.child.exitCode).toBeNull();
    // The "broker comes up": a TCP forwarder to the real RabbitMQ starts listening on the port.
    const proxy = createServer((socket) => {
      const upstream = connect(5672, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    servers.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    expect(await isListening('127.0.0.1', port)).toBe(true);
    await api.waitFor(/NEXUS is running \(role: api\)/);
    await cleanupEnv(env);
  });
});
