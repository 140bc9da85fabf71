import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../support/nexus-under-test.js';

/** Runs `main.ts` as a user would and returns its exit code and output. */
function runMain(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

let blocker: Server;
let takenPort: number;
beforeAll(async () => {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  takenPort = (blocker.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

describe('start-up refuses bad setups with one clear line', () => {
  it('names the port and the variable when the API port is taken', async () => {
    const env = isolatedEnv('startup', { PORT: String(takenPort) });
    const { code, stderr } = await runMain(['--role', 'api'], env);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`nexus: port ${takenPort} is already in use; set PORT to a free port`);
  });

  it('names TEMPORAL_UI_PORT when the Web UI port is taken and it would start a dev server', async () => {
    const env = isolatedEnv('startup', { PORT: '0', TEMPORAL_ADDRESS: '127.0.0.1:1', NEXUS_START_TEMPORAL: 'always', TEMPORAL_UI_PORT: String(takenPort) });
    const { code, stderr } = await runMain(['--role', 'worker'], env);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`nexus: port ${takenPort} is already in use; set TEMPORAL_UI_PORT to a free port`);
  });

  it('refuses LLM_REQUIRED=true with no provider', async () => {
    const { code, stderr } = await runMain([], { LLM_REQUIRED: 'true', ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', GEMINI_API_KEY: '' });
    expect(code).not.toBe(0);
    expect(stderr.trim()).toBe('nexus: LLM_REQUIRED=true but no provider configured');
  });

  it.each([
    ['NEXUS_ASK_TIMEOUT', 'soon'],
    ['PORT', 'eighty'],
    ['REDIS_URL', 'localhost:6379'],
    ['LLM_PRIMARY_PROVIDER', 'llama'],
  ])('names the variable when %s=%s is invalid', async (name, value) => {
    const { code, stderr } = await runMain([], { [name]: value });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^nexus: ${name}=${value} is invalid: `));
  });

  it('refuses a key folder other users can write, holding a key anyone could have planted, as ssh refuses such a key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nexus-planted-'));
    try {
      const keys = join(dataDir, 'keys');
      mkdirSync(keys);
      chmodSync(keys, 0o777);
      writeFileSync(join(keys, 'decision.key'), `decision-1:${Buffer.alloc(32, 7).toString('base64')}\n`);
      chmodSync(join(keys, 'decision.key'), 0o666);
      const env = isolatedEnv('startup', { PORT: '0', NEXUS_DATA_DIR: dataDir });
      // No keys configured: NEXUS would read (or generate) them under the data folder.
      delete env.NEXUS_DECISION_KEYS;
      delete env.NEXUS_PAYLOAD_KEYS;
      const { code, stderr } = await runMain(['--role', 'bridge'], env);
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(`nexus: key folder ${keys} has mode 0777, open to other users; refusing to use it (chmod 700 it if you made it, or remove it)`);
      // Its own data folder, though, it makes private.
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown role', async () => {
    const { code, stderr } = await runMain(['--role', 'everything'], {});
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('nexus: --role must be one of all, api, worker, bridge (got "everything")');
  });
});
