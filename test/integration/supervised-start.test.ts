import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupEnv, isolatedEnv, killHard, post } from '../support/nexus-under-test.js';
import { freeRestartablePort } from '../support/local-server.js';
import { alive, commandLine, descendants } from '../support/process-tree.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';

/**
 * `./nexus start` as a user meets it: one command, every role in a process of its own (so NEXUS uses more than
 * one core), one log, one `/metrics` with every role, and a role process that dies started again. Temporal is the
 * run's own server, so nothing here waits for a dev server to start.
 */
const env = isolatedEnv('supervised');
const tenant = { org_id: 'acme', project_id: 'supervised' };
const dataDirs: string[] = [];
const children: ChildProcess[] = [];
/** Every role process a test saw: one that outlived its supervisor is no longer below it. */
const seen = new Set<number>();
afterAll(async () => {
  for (const child of children) {
    for (const pid of child.pid ? descendants(child.pid) : []) seen.add(pid);
    await killHard(child);
  }
  // Only if the pid is still one of them, not a number the system gave to another process since.
  for (const pid of seen) if (alive(pid) && commandLine(pid).includes('--supervised')) process.kill(pid, 'SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await cleanupEnv(env);
});

interface Started {
  child: ChildProcess;
  baseUrl: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startNexus(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nexus-supervised-'));
  dataDirs.push(dataDir);
  const port = await freeRestartablePort();
  const child = spawn('./nexus', ['start'], {
    env: { ...process.env, ...env, PORT: String(port), NEXUS_DATA_DIR: dataDir, NEXUS_LOCAL_USERS: 'off', NEXUS_START_TEMPORAL: 'auto', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(async () => stderr.includes('NEXUS is running') || child.exitCode !== null, 120_000, '`./nexus start` to say it is running');
  expect(child.exitCode, stderr).toBeNull();
  return { child, baseUrl: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The role processes below the supervisor, by role, from their command lines. */
function rolePids(supervisor: number): Record<string, number> {
  const found: Record<string, number> = {};
  for (const pid of descendants(supervisor)) {
    const args = commandLine(pid);
    const at = args.indexOf('--role');
    if (at !== -1 && args.includes('--supervised')) found[args[at + 1] ?? ''] = pid;
  }
  for (const pid of Object.values(found)) seen.add(pid);
  return found;
}

async function runGreen(baseUrl: string, label: string): Promise<void> {
  const correlationId = `supervised-${label}-${Date.now()}`;
  const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
  try {
    const res = await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { label }, correlation_id: correlationId }, tenant);
    expect(res.status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, `task_completed of the ${label} command`);
  } finally {
    stream.close();
  }
}

describe('./nexus start runs each role in a process of its own', () => {
  it('one command, one log, every role on /metrics, a killed role started again, everything stopped on SIGTERM', async () => {
    const nexus = await startNexus();
    const supervisor = nexus.child.pid ?? 0;
    const first = rolePids(supervisor);
    expect(Object.keys(first).sort()).toEqual(['api', 'bridge', 'worker']);

    await runGreen(nexus.baseUrl, 'first');

    // One scrape on the API's port shows every role's process; each metric keeps one TYPE line.
    const metrics = await (await fetch(`${nexus.baseUrl}/metrics`)).text();
    for (const role of ['api', 'worker', 'bridge']) expect(metrics).toContain(`nexus_role="${role}"`);
    expect(metrics.match(/^# TYPE nexus_process_cpu_seconds_total /gm)).toHaveLength(1);
    expect(metrics).toContain('temporal_'); // the worker's Temporal core, through its process

    // A worker killed outright is started again, and commands run through the new one.
    process.kill(first.worker ?? 0, 'SIGKILL');
    await until(async () => (rolePids(supervisor).worker ?? first.worker) !== first.worker, 60_000, 'a new worker process');
    await runGreen(nexus.baseUrl, 'after-restart');
    expect(nexus.stdout()).toContain('role process ended; starting it again');

    // One log: every line is a whole JSON line, from every role process and the supervisor.
    const lines = nexus.stdout().split('\n').filter((l) => l !== '');
    const roles = new Set(lines.map((l) => (JSON.parse(l) as { nexus_role?: string }).nexus_role));
    expect([...roles].sort()).toEqual(['api', 'bridge', 'supervisor', 'worker']);
    // The supervisor's lines about a role name it apart (`role`): a second `nexus_role` key would make the line say
    // it came from that role, to any reader that keeps the last of two keys, as JSON.parse does.
    const aboutRoles = lines.filter((l) => l.includes('"role process ready"') || l.includes('"role process ended; starting it again"'));
    expect(aboutRoles.length).toBeGreaterThanOrEqual(4);
    for (const line of aboutRoles) {
      expect(line.match(/"nexus_role":/g), line).toHaveLength(1);
      expect(JSON.parse(line)).toMatchObject({ nexus_role: 'supervisor', role: expect.stringMatching(/^(api|worker|bridge)$/) });
    }
    // The addresses are printed once, by the supervisor.
    expect(nexus.stderr().match(/NEXUS is running/g)).toHaveLength(1);

    const running = descendants(supervisor);
    nexus.child.kill('SIGTERM');
    expect(await nexus.exited).toBe(0);
    await until(async () => running.every((p) => !alive(p)), 30_000, 'every role process to exit');
  }, 240_000);

  it('role processes stop by themselves when their supervisor is killed', async () => {
    const nexus = await startNexus();
    const roles = Object.values(rolePids(nexus.child.pid ?? 0));
    expect(roles).toHaveLength(3);
    await killHard(nexus.child);
    await until(async () => roles.every((p) => !alive(p)), 30_000, 'the role processes of a killed supervisor to exit');
  }, 180_000);
});
