import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { assertPortFree } from '../../runtime/devserver/port-check.js';
import { cleanupEnv, isolatedEnv, killHard } from '../support/nexus-under-test.js';
import { closeLocally, freeRestartablePort, listenLocally } from '../support/local-server.js';
import { alive, descendants } from '../support/process-tree.js';
import { until } from '../support/until.js';

/**
 * NEXUS's life as a process, the way a user meets it: `./nexus start` stops everything it started on SIGTERM (its
 * Temporal dev server included), a TEMPORAL_ADDRESS that answers but is not a usable Temporal server is one clear
 * line instead of endless retries, and `./nexus temporal …` runs the Temporal CLI against NEXUS's server.
 */
const run = promisify(execFile);
const env = isolatedEnv('process-life');
const dataDirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) await killHard(child);
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await cleanupEnv(env);
});

/** A process of NEXUS with this test's names; stderr collected, as a user's terminal shows it. */
function launch(command: string, args: string[], extra: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'nexus-process-life-'));
  dataDirs.push(dataDir);
  const child = spawn(command, args, { env: { ...process.env, ...env, NEXUS_DATA_DIR: dataDir, NEXUS_LOCAL_USERS: 'off', LOG_LEVEL: 'warn', ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}


describe('NEXUS as a process', () => {
  it('./nexus start stops everything it started on SIGTERM, its Temporal dev server included, and frees its ports', async () => {
    const ports = { http: await freeRestartablePort(), temporal: await freeRestartablePort(), ui: await freeRestartablePort() };
    const nexus = launch('./nexus', ['start'], {
      PORT: String(ports.http), TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`, TEMPORAL_UI_PORT: String(ports.ui), NEXUS_START_TEMPORAL: 'auto',
    });
    await until(async () => nexus.stderr().includes('NEXUS is running') || nexus.child.exitCode !== null, 120_000, '`./nexus start` to say it is running');
    expect(nexus.stderr()).toContain('embedded dev server');
    const pid = nexus.child.pid ?? 0;
    const started = descendants(pid);
    // The script execs node, and node runs the dev server: the user's SIGTERM reaches NEXUS itself.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('main.ts');
    expect(started.length).toBeGreaterThan(0);

    nexus.child.kill('SIGTERM');
    expect(await nexus.exited).toBe(0);
    await until(async () => started.every((p) => !alive(p)), 20_000, 'every process NEXUS started to exit');
    await assertPortFree(ports.http, 'PORT', '127.0.0.1');
    await assertPortFree(ports.temporal, 'TEMPORAL_ADDRESS', '127.0.0.1');
    await assertPortFree(ports.ui, 'TEMPORAL_UI_PORT', '127.0.0.1');
  }, 180_000);

  it('refuses, in one line, a TEMPORAL_ADDRESS that answers but is not a Temporal server', async () => {
    const impostor = createServer((_req, res) => res.writeHead(200).end('hello'));
    const url = await listenLocally(impostor);
    try {
      const nexus = launch(process.execPath, ['--import', 'tsx', 'main.ts'], { PORT: String(await freeRestartablePort()), TEMPORAL_ADDRESS: new URL(url).host, NEXUS_START_TEMPORAL: 'auto' });
      expect(await nexus.exited).toBe(1);
      expect(nexus.stderr().trim().split('\n').filter((l) => l.startsWith('nexus:'))).toEqual([
        expect.stringMatching(new RegExp(`^nexus: something answers at TEMPORAL_ADDRESS=${new URL(url).host}, but not as a Temporal server NEXUS can use`)),
      ]);
    } finally {
      await closeLocally(impostor);
    }
  }, 60_000);

  it('refuses a Temporal server without NEXUS\'s namespace, naming it', async () => {
    const namespace = `missing-${randomUUID().slice(0, 8)}`;
    const nexus = launch(process.execPath, ['--import', 'tsx', 'main.ts'], { PORT: String(await freeRestartablePort()), NEXUS_START_TEMPORAL: 'auto', TEMPORAL_NAMESPACE: namespace });
    expect(await nexus.exited).toBe(1);
    expect(nexus.stderr()).toContain(`nexus: the Temporal server at TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} has no namespace "${namespace}"`);
  }, 60_000);

  it('./nexus temporal runs the Temporal CLI against the server NEXUS uses', async () => {
    const { stdout } = await run('./nexus', ['temporal', 'operator', 'namespace', 'describe', '--output', 'json'], { env: { ...process.env, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? '' } });
    expect(JSON.parse(stdout)).toMatchObject({ namespaceInfo: { name: 'default' } });
  }, 60_000);
});
