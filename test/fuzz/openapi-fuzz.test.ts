import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

/**
 * Schemathesis (pinned in runtime/scripts/ensure-schemathesis.sh) against /openapi.json of a whole NEXUS on the real
 * services: no 5xx, and every status, content type, header and body is one the document promises.
 */
const SCHEMATHESIS = resolve('.tools/schemathesis-venv/bin/schemathesis');
const tenant = { org_id: 'fuzz', project_id: 'openapi' };

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
].join(',');

/**
 * Derandomized generation (no seed needed, and no example database carried between runs): the same cases every
 * run, so a CI failure reproduces locally.
 */
function schemathesisArgs(configFile: string, baseUrl: string, extra: string[]): string[] {
  return [
    '--config-file', configFile,
    'run', `${baseUrl}/openapi.json`,
    '--checks', CHECKS,
    '--max-examples', '150',
    '--generation-deterministic',
    '--request-timeout', '15',
    '--workers', '1',
    '--no-color',
    ...extra,
  ];
}

/**
 * One schemathesis run's limit. Its cases are the same every run (deterministic), but its speed is the machine's: a
 * run takes about 60 s alone and more than 80 s beside the rest of the suite, so the limit leaves room for that; a
 * run that hits it fails saying so, with the phases it finished.
 */
const RUN_BUDGET_MS = 170_000;

const receiver = new WebhookReceiver();
const env = isolatedEnv('fuzz');
let nexus: RunningNexus;
let workDir: string;
let configFile: string;

beforeAll(async () => {
  // Idempotent and quick when the pinned version is there; installs it (from PyPI) on a fresh CI machine.
  const install = await run(resolve('runtime/scripts/ensure-schemathesis.sh'), [], process.cwd(), 120_000);
  if (install.code !== 0) throw new Error(`runtime/scripts/ensure-schemathesis.sh failed:\n${install.output}`);
  const hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
  // Schemathesis runs in a scratch directory so nothing it writes lands in the repository.
  workDir = mkdtempSync(join(tmpdir(), 'nexus-fuzz-'));
  // A real pending ask, so fuzzed decisions reach the claim, the Temporal update and their 202/409 answers
  // instead of stopping at 404; other tenants' requests for it must still get 404.
  const askId = await createAsk(hookUrl);
  configFile = join(workDir, 'schemathesis.toml');
  // The stream is fuzzed as bounded pages: without `limit` its 200 is an endless live stream, which schemathesis
  // could only end with a request timeout it reports as a failure. Every page's events are checked against the
  // document's per-event schema, whatever else the case combines (cursor, before, asks, correlation_id, Last-Event-ID).
  writeFileSync(configFile, [
    '[parameters]', `"path.ask_id" = "${askId}"`, '',
    '[[operations]]', 'include-path = "/agent/reports/stream"', 'parameters = { "query.limit" = 50 }', '',
  ].join('\n'));
}, 180_000);

afterAll(async () => {
  await nexus?.stop();
  await receiver.stop();
  await cleanupEnv(env);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the API matches its OpenAPI document under fuzzing', () => {
  it('with a valid tenant fixed by -H, so generated bodies reach the handlers', async () => {
    const args = schemathesisArgs(configFile, nexus.baseUrl, ['-H', `x-org-id: ${tenant.org_id}`, '-H', `x-project-id: ${tenant.project_id}`]);
    const result = await run(SCHEMATHESIS, args, workDir, RUN_BUDGET_MS);
    keep('fixed-tenant', result.output);
    expect(result.code, result.output).toBe(0);
  }, RUN_BUDGET_MS + 10_000);

  it('with tenant headers generated from their schema, valid and invalid (-H would pin them)', async () => {
    const result = await run(SCHEMATHESIS, schemathesisArgs(configFile, nexus.baseUrl, []), workDir, RUN_BUDGET_MS);
    keep('generated-tenant', result.output);
    expect(result.code, result.output).toBe(0);
  }, RUN_BUDGET_MS + 10_000);
});

async function createAsk(hookUrl: string): Promise<string> {
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: 'fuzz-ask' });
  try {
    const params = { url: `${hookUrl}/fuzz`, payload: { from: 'the fuzz test' } };
    const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params, correlation_id: 'fuzz-ask' }, tenant);
    if (res.status !== 202) throw new Error(`RED command answered ${res.status}: ${JSON.stringify(res.body)}`);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 20_000, 'ask_created');
    const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
    if (!ask) throw new Error('no ask_created report');
    return ask.payload.ask_id;
  } finally {
    stream.close();
  }
}

/** Schemathesis' summary, kept beside the NEXUS log of this file (test-artifacts/logs/) even when it passes. */
function keep(pass: string, output: string): void {
  writeFileSync(`test-artifacts/logs/${env.TEMPORAL_TASK_QUEUE}.schemathesis-${pass}.log`, output);
}

/** Runs a command to completion; output is stdout and stderr interleaved, for the failure message. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      const verdict = killed ? `\n(killed: still running after ${timeoutMs / 1000} s)` : '';
      done({ code, output: `$ ${command} ${args.join(' ')}\n${output}${verdict}` });
    });
  });
}
