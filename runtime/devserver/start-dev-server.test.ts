import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';
import { freeRestartablePort } from '../../test/support/local-server.js';
import { killHard } from '../../test/support/nexus-under-test.js';
import { findTemporalCli } from './find-temporal-cli.js';
import { DevServerExitedError, startDevServer } from './start-dev-server.js';

// The embedded Temporal's files hold every command's history: a data folder of this user's, files 0600.
const quiet = createLogger('silent');
const root = mkdtempSync(join(tmpdir(), 'nexus-devserver-'));
let server: ChildProcess | undefined;
/** The stand-in CLI's process, apart from the real server's, so neither is left running. */
let fake: ChildProcess | undefined;
afterAll(async () => {
  if (server) await killHard(server);
  if (fake) await killHard(fake);
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
      cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: await freeRestartablePort(), uiPort: await freeRestartablePort(), namespace: 'default', dataDir, logger: quiet,
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
      cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: await freeRestartablePort(), uiPort: await freeRestartablePort(), namespace: 'default', dataDir, logger: quiet,
    });
    expect(mode('temporal.db')).toBe(0o600);
  }, 90_000);
});

/**
 * A stand-in for the CLI whose starts fail as the real one's do (the real one cannot be made to lose a port on
 * demand): it counts its runs in a file, fails the first `failures` with `said`, then listens on its --port.
 */
function fakeCli(dir: string, failures: number, said: string): { path: string; runs: () => number } {
  const counter = join(dir, 'runs');
  const path = join(dir, 'fake-temporal');
  writeFileSync(path, `#!/usr/bin/env node
const fs = require('node:fs');
const runs = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0) + 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(runs));
if (runs <= ${failures}) { console.error(${JSON.stringify(said)}); process.exit(1); }
const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
require('node:net').createServer(() => undefined).listen(port, '127.0.0.1');
`);
  chmodSync(path, 0o755);
  return { path, runs: () => Number(readFileSync(counter, 'utf8')) };
}

describe('a dev server that exits while starting', () => {
  it('is started again when it lost a port it picked itself, and says why when it gives up', async () => {
    const dir = mkdtempSync(join(root, 'lost-port-'));
    const cli = fakeCli(dir, 1, 'Failed to start gRPC listener: listen tcp 127.0.0.1:39001: bind: address already in use');
    fake = await startDevServer({ cliPath: cli.path, host: '127.0.0.1', port: await freeRestartablePort(), uiPort: await freeRestartablePort(), namespace: 'default', dataDir: join(dir, 'data'), logger: quiet });
    expect(cli.runs()).toBe(2);
    await killHard(fake);

    const always = mkdtempSync(join(root, 'always-'));
    const busy = fakeCli(always, 99, 'listen tcp 127.0.0.1:39002: bind: address already in use');
    const err = await startDevServer({ cliPath: busy.path, host: '127.0.0.1', port: await freeRestartablePort(), uiPort: await freeRestartablePort(), namespace: 'default', dataDir: join(always, 'data'), logger: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevServerExitedError);
    expect(busy.runs()).toBe(3);
    // Only this start's words, though the log is appended to across starts.
    expect((err as Error).message.match(/address already in use/g)).toHaveLength(1);
  }, 30_000);

  it('is not started again for any other failure, and the error carries what it said', async () => {
    const dir = mkdtempSync(join(root, 'bad-config-'));
    const cli = fakeCli(dir, 99, 'unable to parse dynamic config value history.timerProcessorMaxTimeShift');
    const err = await startDevServer({ cliPath: cli.path, host: '127.0.0.1', port: await freeRestartablePort(), uiPort: await freeRestartablePort(), namespace: 'default', dataDir: join(dir, 'data'), logger: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevServerExitedError);
    expect((err as DevServerExitedError).exitCode).toBe(1);
    expect((err as Error).message).toContain('unable to parse dynamic config value');
    expect(cli.runs()).toBe(1);
  }, 30_000);
});

/** The server creates its write-ahead log on its first write after opening the database. */
async function waitForFile(path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
