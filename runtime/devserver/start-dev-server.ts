import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { privateDir, privateFile } from '../../infra/files/private-paths.js';
import { join, resolve } from 'node:path';
import type { Logger } from '../../infra/logger.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { assertPortFree, isListening } from './port-check.js';

/**
 * The history service's queues tick (one shard in a dev server), and every workflow waited for the ticks:
 * - the transfer queue is read at most 20 times a second: a one-activity workflow took 100 ms at p50, 28 ms without;
 * - a timer is not fired before now + `timerProcessorMaxTimeShift` (1 s), and the timer queue is read at most 20 times
 *   a second: a 10 ms `sleep` took 1,024 ms at p50 and an activity retry after 10 ms 1,049 ms (so every agent retry,
 *   approval reminder and expiry came a second late); with 10 ms and 1,000 reads, 49 and 63 ms;
 * - the visibility queue likewise (a started workflow visible to a list query: p95 62–96 → 39 ms).
 * What it costs: the idle server's CPU went from 0.8% to 5.4% of one core (measured over 10 s, same machine).
 * Values are JSON (a duration is a quoted string: a bad one stops the server at start). Shared with the bench, so it
 * measures the server `./nexus start` runs.
 */
export const DEV_SERVER_SPEED_ARGS: readonly string[] = [
  'history.transferProcessorMaxPollRPS=1000',
  'history.timerProcessorMaxTimeShift="10ms"',
  'history.timerProcessorMaxPollRPS=1000',
  'history.visibilityProcessorMaxPollRPS=1000',
].flatMap((value) => ['--dynamic-config-value', value]);

export interface DevServerOptions {
  cliPath: string;
  host: string;
  port: number;
  uiPort: number;
  /** NEXUS's codec endpoint, so the Web UI can show the encrypted payloads to this machine's operator. */
  codecEndpoint?: string;
  namespace: string;
  dataDir: string;
  logger: Logger;
}

/** Starts the server picks its own ports for (HTTP API, metrics, cluster membership) before it gives up. */
const START_ATTEMPTS = 3;

/** What the server says when one of its ports was taken between being picked and being bound. */
const PORT_TAKEN = /address already in use/i;

export class DevServerExitedError extends Error {
  readonly code = 'temporal_dev_server_exited';
  constructor(readonly exitCode: number | null, readonly logPath: string, readonly logTail: string) {
    super(`temporal dev server exited (code ${exitCode}); see ${logPath}; it said:\n${logTail}`);
  }
}

/**
 * Runs `temporal server start-dev` with the Web UI, a SQLite file under the data dir (workflows survive a
 * restart) and the NEXUS search attributes, and waits until its gRPC port answers.
 * The server picks several ports of its own at random and binds them a moment later; another process may take one
 * meanwhile, and the server exits. Such a start is tried again (with new picks); any other exit is final. The error
 * carries what the server wrote, so a failure says why even once its data dir is gone.
 */
export async function startDevServer(options: DevServerOptions): Promise<ChildProcess> {
  const log = options.logger.child({ module: 'temporal-dev-server' });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, log);
    } catch (err) {
      if (!(err instanceof DevServerExitedError) || !PORT_TAKEN.test(err.logTail) || attempt >= START_ATTEMPTS) throw err;
      log.warn({ attempt, exit_code: err.exitCode, said: err.logTail.slice(-500) }, 'temporal dev server lost a port at start; starting it again');
    }
  }
}

async function startOnce(options: DevServerOptions, log: Logger): Promise<ChildProcess> {
  await assertPortFree(options.port, 'TEMPORAL_ADDRESS');
  await assertPortFree(options.uiPort, 'TEMPORAL_UI_PORT');
  const dataDir = resolve(options.dataDir);
  privateDir(dataDir);
  // Histories and the server's log hold workflow ids and payloads: this user's only. The server creates its
  // database itself (an empty file would be taken for an initialized one), so it starts under umask 077; files an
  // earlier version left open are tightened first.
  const logPath = join(dataDir, 'temporal-dev-server.log');
  privateFile(logPath, 'Temporal log');
  const dbPath = join(dataDir, 'temporal.db');
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(file)) privateFile(file, 'Temporal database');
  const logStart = existsSync(logPath) ? statSync(logPath).size : 0;
  const logFile = openSync(logPath, 'a');
  const args = [
    'server', 'start-dev',
    '--ip', options.host,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    '--namespace', options.namespace,
    '--db-filename', dbPath,
    // Write-ahead log, synced at checkpoints: about 2.6x the workflows a second of the default rollback journal
    // (measured in the speed issue). A killed process loses nothing; an OS crash or power loss may lose the last
    // commits, which is the embedded server's trade — a deployment runs Temporal on PostgreSQL (docker/).
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    '--log-level', 'warn',
    ...DEV_SERVER_SPEED_ARGS,
    // Flag a workflow whose task failed twice in a row (TemporalReportedProblems) instead of five times: the
    // API's stalled-command check finds it within seconds rather than a minute.
    '--dynamic-config-value', 'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2',
    ...ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
  log.info({ cli: options.cliPath, port: options.port, ui_port: options.uiPort }, 'starting temporal dev server');
  const child = spawnWithPrivateFiles(options.cliPath, args, logFile);
  closeSync(logFile);
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new DevServerExitedError(code, logPath, readFrom(logPath, logStart))));
    child.once('error', reject);
  });
  const deadline = Date.now() + 60_000;
  while (!(await isListening(options.host, options.port))) {
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('temporal dev server did not open its port within 60s');
    }
    await Promise.race([new Promise((r) => setTimeout(r, 250)), exited]);
  }
  exited.catch(() => undefined);
  return child;
}

/** What this start wrote to the (appended) log, at most its last 4 KB. */
function readFrom(path: string, start: number, max = 4096): string {
  try {
    const end = statSync(path).size;
    const from = Math.max(start, end - max);
    const buffer = Buffer.alloc(Math.max(0, end - from));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').trim() || '(nothing)';
  } catch {
    return '(no log)';
  }
}

/** The child inherits the umask at spawn: set only around it, so nothing else of this process is affected. */
function spawnWithPrivateFiles(cliPath: string, args: string[], logFile: number): ChildProcess {
  let previous: number | undefined;
  try {
    previous = process.umask(0o077);
  } catch {
    // A worker thread may not change the umask; the database is then as the server makes it.
  }
  try {
    return spawn(cliPath, args, { stdio: ['ignore', logFile, logFile] });
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}

/**
 * Stops the dev server this process started and waits until it has exited (its SQLite file closed, its ports free),
 * SIGKILL after `graceMs`: a NEXUS that stopped leaves no server behind.
 */
export async function stopDevServer(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), graceMs); });
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
