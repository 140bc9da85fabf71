import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';
import { freePort } from '../../test/support/local-server.js';
import { killHard } from '../../test/support/nexus-under-test.js';
import { findTemporalCli } from './find-temporal-cli.js';
import { startDevServer } from './start-dev-server.js';

// The embedded Temporal's files hold every command's history: a data folder of this user's, files 0600.
const quiet = createLogger('silent');
const root = mkdtempSync(join(tmpdir(), 'nexus-devserver-'));
let server: ChildProcess | undefined;
afterAll(async () => {
  if (server) await killHard(server);
  rmSync(root, { recursive: true, force: true });
});

describe('the embedded Temporal dev server', () => {
  it('keeps its database and log private, tightening ones left open by an earlier version', async () => {
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'temporal-dev-server.log'), '');
    chmodSync(join(dataDir, 'temporal-dev-server.log'), 0o644);
    server = await startDevServer({
      cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: await freePort(), uiPort: await freePort(), namespace: 'default', dataDir, logger: quiet,
    });
    const mode = (name: string) => statSync(join(dataDir, name)).mode & 0o777;
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(mode('temporal.db')).toBe(0o600);
    expect(mode('temporal-dev-server.log')).toBe(0o600);
    // Tuned for speed: the database is in write-ahead-log mode (the header's read and write versions are 2), and the
    // log beside it, which holds recent histories, is as private as the database.
    await waitForFile(join(dataDir, 'temporal.db-wal'));
    expect([...readFileSync(join(dataDir, 'temporal.db')).subarray(18, 20)]).toEqual([2, 2]);
    expect(mode('temporal.db-wal')).toBe(0o600);
    // And its queues read without their ticks: the server it runs is the one started with those settings (a value
    // it could not read would have stopped it above).
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    for (const value of ['history.transferProcessorMaxPollRPS=1000', 'history.timerProcessorMaxTimeShift="10ms"', 'history.timerProcessorMaxPollRPS=1000']) {
      expect(cmdline, value).toContain(value);
    }

    // A database an earlier version left readable by others is closed at the next start.
    await killHard(server);
    chmodSync(join(dataDir, 'temporal.db'), 0o644);
    server = await startDevServer({
      cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: await freePort(), uiPort: await freePort(), namespace: 'default', dataDir, logger: quiet,
    });
    expect(mode('temporal.db')).toBe(0o600);
  }, 90_000);
});

/** The server creates its write-ahead log on its first write after opening the database. */
async function waitForFile(path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
