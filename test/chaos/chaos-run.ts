import { execFileSync, type ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { isTerminalReport, type Report, type ReportOf, type Tenant } from '../../contracts/index.js';
import { sleep } from '../../infra/backoff.js';
import { RedisKeys } from '../../infra/store/keys.js';
import type { Role } from '../../runtime/roles.js';
import type { WebhookReceiver } from '../support/webhook-receiver.js';
import { FollowingSseClient } from '../support/following-sse-client.js';
import { killHard, post, REDIS_URL, spawnRole } from '../support/nexus-under-test.js';

/**
 * What can be killed: NEXUS's three roles, the Temporal server, and RabbitMQ (stopped and started). A
 * `worker-outage` keeps the worker down longer than the API waits for a decision to be accepted (10 s): decisions
 * sent meanwhile are answered 503, approvers retry under new update ids, and the returning worker receives several
 * decisions for one ask in one workflow task, as after a real outage.
 */
export type Victim = Exclude<Role, 'all'> | 'temporal' | 'rabbitmq' | 'worker-outage';
const OUTAGE_MS = 20_000;
/** Approvers take a moment to decide, so asks are open when a fault strikes. */
const THINK_MS = 3_000;

export interface ChaosOptions {
  env: Record<string, string>;
  /** One port per API process; as many workers and bridges run as APIs (each role's replicas). */
  apiPorts: number[];
  logFile: string;
  temporal: Client;
  /** The Temporal server running now, and how to start it again on the same port and database file (a `temporal` victim needs them). */
  temporalServer?: ChildProcess;
  startTemporal?(): Promise<ChildProcess>;
  /** Dashboards following the stream, one starting on each API, reconnecting to the next when theirs goes. */
  sseClients?: boolean;
  receiver: WebhookReceiver;
  hookUrl: string;
  tenant: { org_id: string; project_id: string };
  commands: number;
  concurrency: number;
  /** Share of commands that are RED (external_share); their asks are decided in the ways of `DecisionPlan`. */
  redShare: number;
  victims: Victim[];
  faultEveryMs: number;
  /** How many times each victim is hit over the load; commands are paced so that every fault lands mid-load. */
  rounds: number;
  /** How long every command may take to reach its ending once the load is over. */
  settleMs: number;
}

/**
 * How an ask is decided. `approve` and `deny`: one approver, retrying after errors. `storm`: one approver sends
 * the same approval three times at once (a double click, a retried request), each retried after errors.
 * `race`: two approvers at once, one approving, one denying.
 */
type DecisionPlan = 'approve' | 'deny' | 'storm' | 'race';
type Kind = 'green' | DecisionPlan;

interface Planned {
  commandId: string;
  kind: Kind;
}

export interface ChaosResult {
  planned: number;
  kinds: Record<string, number>;
  faults: string[];
  /** Final HTTP answers to decisions, by plan: `approve:202`, `race:409`, ... */
  decideAnswers: Record<string, number>;
  /** Commands whose stream has no terminal report when the run ends. */
  stuck: string[];
  /** Dashboards whose stream differs from the stored one (something lost, repeated or out of order). */
  sseMismatches: string[];
  /** Commands with more than one terminal report. */
  doubleEnded: string[];
  duplicateReportIds: number;
  /** Commands whose reports reached the stream out of seq order. */
  reordered: string[];
  /** RED commands delivered without an approval on the stream, or delivered under more than one key. */
  unapprovedOrRepeated: string[];
  /** Decisions whose answers contradict the stream: a refused decision that counted, two winners of a race, ... */
  wrongAnswers: string[];
  /** Workflows Temporal still shows running. */
  running: string[];
  /** Workflow task failures anywhere in the commands' histories, by cause. */
  workflowTaskFailures: Record<string, number>;
  /** Commands whose history has two or more decisions accepted in one workflow task: the case that must replay. */
  concurrentDecisions: number;
  /** RED commands whose ask index entry says other than their stream (settled otherwise, or still open). */
  askDisagreements: string[];
  /** Commands without their `command_started` audit entry, or with a counted decision not audited as verified. */
  unaudited: string[];
}

/** The process a fault hits (an outage is the worker's). */
const processOf = (victim: Exclude<Victim, 'rabbitmq'>) => (victim === 'worker-outage' ? 'worker' : victim);
type Proc = ReturnType<typeof processOf>;
/** A replica's name: the role alone when each role runs once (as the fault log always said), `role#i` otherwise. */
const replicaName = (name: Proc, index: number, replicas: number) => (replicas > 1 && name !== 'temporal' ? `${name}#${index}` : name);

const PLANS: DecisionPlan[] = ['approve', 'deny', 'storm', 'race'];

/**
 * A Jepsen-style run against NEXUS's roles as real processes: commands and decisions from clients that retry with
 * the same ids, while roles, the Temporal server and RabbitMQ are killed and brought back; then the invariants are
 * checked from the outside (the stream, Temporal, the webhook receiver).
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const redis = new Redis(REDIS_URL);
  const keys = new RedisKeys(o.env.NEXUS_REDIS_PREFIX ?? '');
  const replicas = o.apiPorts.length;
  const procs = new Map<string, ChildProcess>();
  const start: Start = async (victim, index) => {
    const name = processOf(victim);
    const key = replicaName(name, index, replicas);
    if (name === 'temporal') {
      if (!o.startTemporal) throw new Error('a temporal victim needs startTemporal');
      procs.set(key, await o.startTemporal());
      return;
    }
    const env = name === 'api' ? { ...o.env, PORT: String(o.apiPorts[index]) } : o.env;
    procs.set(key, await spawnRole(name, env, o.logFile));
  };
  if (o.temporalServer) procs.set('temporal', o.temporalServer);
  const dashboards: FollowingSseClient[] = [];
  try {
    for (const role of ['bridge', 'worker', 'api'] as const) for (let i = 0; i < replicas; i++) await start(role, i);
    return await load(o, redis, keys, procs, start, dashboards);
  } finally {
    for (const dashboard of dashboards) await dashboard.stop();
    // Whatever happened, no role outlives the run (the test owns the Temporal server).
    for (const [name, proc] of procs) if (name !== 'temporal') await killHard(proc);
    await redis.quit();
  }
}

type Start = (victim: Exclude<Victim, 'rabbitmq'>, index: number) => Promise<void>;

async function load(
  o: ChaosOptions,
  redis: Redis,
  keys: RedisKeys,
  procs: Map<string, ChildProcess>,
  start: Start,
  dashboards: FollowingSseClient[],
): Promise<ChaosResult> {
  const streamKey = keys.reports(o.tenant);
  const replicas = o.apiPorts.length;
  const baseUrls = o.apiPorts.map((port) => `http://127.0.0.1:${port}`);
  if (o.sseClients) dashboards.push(...baseUrls.map((_, i) => new FollowingSseClient(baseUrls, o.tenant, i)));
  /** Requests go to the APIs in turn, as behind a load balancer; a retry goes to the next one. */
  let turn = 0;
  const nextBaseUrl = () => baseUrls[turn++ % baseUrls.length] ?? '';
  /** How often each role was hit: its replicas are hit in turn. */
  const hits = new Map<Victim, number>();

  const faults: string[] = [];
  let loadDone = false;
  /** Approvers who have seen their ask and not yet sent their decision. */
  let thinking = 0;
  const faulting = (async () => {
    for (let i = 0; !loadDone; i++) {
      await sleep(o.faultEveryMs);
      if (loadDone) break;
      const victim = o.victims[i % o.victims.length];
      if (!victim) continue;
      if (victim === 'rabbitmq') {
        execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' });
        faults.push('rabbitmq stop_app');
        await sleep(500);
        execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' });
        continue;
      }
      const index = (hits.get(victim) ?? 0) % replicas;
      hits.set(victim, (hits.get(victim) ?? 0) + 1);
      const name = replicaName(processOf(victim), index, replicas);
      const proc = procs.get(name);
      if (!proc) continue;
      // An outage is worth having when an approver is about to decide (bounded: a run may have no RED left).
      for (let waited = 0; victim === 'worker-outage' && thinking === 0 && waited < 30_000 && !loadDone; waited += 100) await sleep(100);
      await killHard(proc);
      faults.push(victim === 'worker-outage' ? `kill -9 ${name}, down ${OUTAGE_MS / 1000} s` : `kill -9 ${name}`);
      await sleep(victim === 'worker-outage' ? OUTAGE_MS : 300);
      await start(victim, index);
    }
  })();

  const greenOfTen = Math.round((1 - o.redShare) * 10);
  let reds = 0;
  const plan: Planned[] = Array.from({ length: o.commands }, (_, i) => {
    const red = i % 10 >= greenOfTen;
    const kind: Kind = red ? (PLANS[reds++ % PLANS.length] ?? 'approve') : 'green';
    return { commandId: `chaos-${i}-${Date.now()}`, kind };
  });
  const kinds: Record<string, number> = {};
  for (const p of plan) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;

  /**
   * Retries what a client would retry (no answer, 429, 502, 503) with the same request, waiting as long as
   * `Retry-After` asks; anything else is the answer.
   */
  const retrying = async (send: (baseUrl: string) => Promise<{ status: number; body: any; headers?: Headers }>) => {
    for (;;) {
      const res = await send(nextBaseUrl()).catch(() => ({ status: 0, body: undefined, headers: undefined }));
      if (![0, 429, 502, 503].includes(res.status)) return res;
      await sleep(res.status === 429 ? Number(res.headers?.get('retry-after') ?? 1) * 1_000 : 250);
    }
  };

  const asksSeen = new Map<string, ReportOf<'ask_created'>>();
  let streamCursor = '0-0';
  const pollAsks = async () => {
    const rows = await redis.xrange(streamKey, `(${streamCursor}`, '+', 'COUNT', 1000);
    for (const [id, fields] of rows) {
      streamCursor = id;
      const report = JSON.parse(fields[1] ?? '{}') as Report;
      if (report.report_type === 'ask_created') asksSeen.set(report.correlation_id, report);
    }
  };

  const answers = new Map<string, Array<{ by: string; decision: string; status: number }>>();
  const decideAnswers: Record<string, number> = {};
  const decide = async (p: Planned, ask: ReportOf<'ask_created'>, by: string, decision: 'approve' | 'deny') => {
    const answer = await retrying((baseUrl) => post(baseUrl, `/approvals/${ask.payload.ask_id}/decide`, {
      decision, reason: `chaos ${p.kind}`, action_digest: ask.payload.action_digest,
    }, o.tenant, { 'x-user-id': by }));
    answers.set(p.commandId, [...(answers.get(p.commandId) ?? []), { by, decision, status: answer.status }]);
    const key = `${p.kind}:${answer.status}`;
    decideAnswers[key] = (decideAnswers[key] ?? 0) + 1;
  };

  const runOne = async (p: Planned) => {
    const body = p.kind === 'green'
      ? { type: 'agent.run', agent: 'echo', params: { n: p.commandId }, command_id: p.commandId, correlation_id: p.commandId }
      : { type: 'agent.run', agent: 'external_share', params: { url: `${o.hookUrl}/chaos/${p.commandId}`, payload: { n: p.commandId } }, command_id: p.commandId, correlation_id: p.commandId };
    const res = await retrying((baseUrl) => post(baseUrl, '/sidecar/command', body, o.tenant));
    if (res.status !== 202) throw new Error(`command ${p.commandId}: ${res.status} ${JSON.stringify(res.body)}`);
    if (p.kind === 'green') return;
    const waitUntil = Date.now() + o.settleMs;
    while (!asksSeen.has(p.commandId) && Date.now() < waitUntil) await sleep(200);
    const ask = asksSeen.get(p.commandId);
    if (!ask) return;
    thinking++;
    await sleep(Math.random() * THINK_MS);
    thinking--;
    if (p.kind === 'approve' || p.kind === 'deny') await decide(p, ask, 'approver-kim', p.kind);
    if (p.kind === 'storm') await Promise.all([1, 2, 3].map(() => decide(p, ask, 'approver-kim', 'approve')));
    if (p.kind === 'race') await Promise.all([decide(p, ask, 'approver-kim', 'approve'), decide(p, ask, 'approver-lee', 'deny')]);
  };

  const poller = (async () => {
    while (!loadDone) {
      await pollAsks().catch(() => undefined);
      await sleep(200);
    }
  })();
  // Command i starts only after its share of the faults, so every fault lands while commands are in flight,
  // however long a restart takes.
  const totalFaults = o.victims.length * o.rounds;
  let next = 0;
  try {
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      for (let i = next++; i < plan.length; i = next++) {
        while (faults.length < Math.floor((i * (totalFaults + 1)) / plan.length)) await sleep(100);
        const p = plan[i];
        if (p) await runOne(p);
      }
    }));
  } finally {
    loadDone = true;
    await Promise.all([faulting, poller]);
  }

  // Every command must reach its ending once the processes stay up.
  const readAll = async () => (await redis.xrange(streamKey, '-', '+')).map(([id, f]) => ({ id, report: JSON.parse(f[1] ?? '{}') as Report }));
  const deadline = Date.now() + o.settleMs;
  let entries = await readAll();
  const ended = () => new Set(entries.filter((e) => isTerminalReport(e.report)).map((e) => e.report.correlation_id));
  while (ended().size < plan.length && Date.now() < deadline) {
    await sleep(500);
    entries = await readAll();
  }
  entries = await readAll();

  const audit = (await redis.xrange(keys.audit(o.tenant.org_id), '-', '+')).map(([, fields]) => {
    const entry: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i] ?? ''] = fields[i + 1] ?? '';
    return entry;
  });
  const byCommand = new Map<string, Report[]>();
  for (const { report } of entries) byCommand.set(report.correlation_id, [...(byCommand.get(report.correlation_id) ?? []), report]);
  const ids = entries.map((e) => e.report.report_id);
  const result: ChaosResult = {
    planned: plan.length, kinds, faults, decideAnswers,
    stuck: [], doubleEnded: [], reordered: [], unapprovedOrRepeated: [], wrongAnswers: [], running: [], workflowTaskFailures: {}, concurrentDecisions: 0,
    askDisagreements: [], unaudited: [], sseMismatches: [],
    duplicateReportIds: ids.length - new Set(ids).size,
  };
  const storedIds = entries.map((e) => e.id);
  for (const [i, dashboard] of dashboards.entries()) {
    const seen = await dashboard.waitForCount(storedIds.length, 30_000).then(() => dashboard.stop(), async (err: Error) => {
      await dashboard.stop();
      result.sseMismatches.push(`dashboard ${i}: ${err.message}`);
      return undefined;
    });
    if (!seen) continue;
    const mismatch = streamMismatch(storedIds, seen.map((e) => e.id ?? ''));
    if (mismatch) result.sseMismatches.push(`dashboard ${i} (${dashboard.connections} connections): ${mismatch}`);
  }
  for (const p of plan) {
    const reports = byCommand.get(p.commandId) ?? [];
    const endings = reports.filter((r) => isTerminalReport(r)).length;
    if (endings === 0) result.stuck.push(p.commandId);
    if (endings > 1) result.doubleEnded.push(p.commandId);
    if (reports.some((r, i) => i > 0 && r.seq <= (reports[i - 1]?.seq ?? -1))) result.reordered.push(p.commandId);
    const audited = audit.filter((e) => e.correlation_id === p.commandId);
    if (!audited.some((e) => e.event === 'command_started')) result.unaudited.push(`${p.commandId}: no command_started`);
    if (p.kind !== 'green') {
      const resolved = reports.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved');
      for (const counted of resolved?.payload.decisions ?? []) {
        if (!audited.some((e) => e.event === 'decision_verified' && e.ask_id === resolved?.payload.ask_id && e.principal === counted.decided_by)) {
          result.unaudited.push(`${p.commandId}: ${counted.decided_by}'s ${counted.decision} not audited as verified`);
        }
      }
      const disagreement = await askDisagreement(redis, keys, o.tenant, reports);
      if (disagreement) result.askDisagreements.push(`${p.commandId}: ${disagreement}`);
      const approved = resolved?.payload.decision === 'approve';
      const keysSent = new Set(o.receiver.deliveries.filter((d) => d.correlationId === p.commandId).map((d) => d.idempotencyKey));
      if ((keysSent.size > 0 && !approved) || keysSent.size > 1) result.unapprovedOrRepeated.push(p.commandId);
      const wrong = wrongAnswer(p.kind, answers.get(p.commandId) ?? [], resolved);
      if (wrong) result.wrongAnswers.push(`${p.commandId}: ${wrong}`);
    }
    const workflowId = reports[0]?.workflow_id;
    if (!workflowId) continue;
    const handle = o.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe().catch(() => undefined);
    if (description?.status.name === 'RUNNING') result.running.push(p.commandId);
    const history = await handle.fetchHistory().catch(() => undefined);
    let acceptedInTask = 0;
    let concurrent = false;
    for (const event of history?.events ?? []) {
      if (event.workflowExecutionUpdateAcceptedEventAttributes) concurrent ||= ++acceptedInTask >= 2;
      if (event.workflowTaskCompletedEventAttributes) acceptedInTask = 0;
      const failed = event.workflowTaskFailedEventAttributes;
      if (!failed) continue;
      const cause = `${failed.cause ?? 'unknown'}: ${(failed.failure?.message ?? '').slice(0, 80)}`;
      result.workflowTaskFailures[cause] = (result.workflowTaskFailures[cause] ?? 0) + 1;
    }
    if (concurrent) result.concurrentDecisions++;
  }

  return result;
}

/** Where a dashboard's ids first differ from the stored stream's; undefined when they are the same, in order. */
function streamMismatch(stored: string[], seen: string[]): string | undefined {
  const at = stored.findIndex((id, i) => seen[i] !== id);
  if (at >= 0) return `at ${at} stored ${stored[at]}, saw ${seen[at] ?? 'nothing'}`;
  if (seen.length > stored.length) return `${seen.length - stored.length} more than stored, first ${seen[stored.length]}`;
  return undefined;
}

/** What the ask index says against what the command's stream says; undefined when they agree. */
async function askDisagreement(redis: Redis, keys: RedisKeys, tenant: Tenant, reports: Report[]): Promise<string | undefined> {
  const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
  if (!ask) return undefined;
  const index = await redis.hgetall(keys.ask(tenant, ask.payload.ask_id));
  const resolved = reports.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved');
  const expected = resolved ? `resolved ${resolved.payload.decision}`
    : reports.some((r) => r.report_type === 'ask_expired') ? 'expired'
      : reports.some((r) => isTerminalReport(r)) ? 'closed' : 'pending';
  const actual = index.status === 'resolved' ? `resolved ${index.decision}` : index.status ?? 'missing';
  return actual === expected ? undefined : `index says ${actual}, stream says ${expected}`;
}

/**
 * What the approvers were told must agree with what happened: a decision that counted is answered 202 (however
 * often it was retried), a decision that lost a race 409, and nobody else is refused.
 */
function wrongAnswer(kind: Kind, answers: Array<{ by: string; decision: string; status: number }>, resolved: ReportOf<'ask_resolved'> | undefined): string | undefined {
  if (!resolved) return answers.length > 0 ? `answered ${answers.map((a) => a.status).join(',')} but the ask never resolved` : undefined;
  const counted = (a: { by: string; decision: string }) => (resolved.payload.decisions ?? []).some((d) => d.decided_by === a.by && d.decision === a.decision);
  for (const a of answers) {
    if (!counted(a) && kind !== 'race') return `${a.by} ${a.decision} (answered ${a.status}) did not count; the ask was resolved by ${resolved.payload.decided_by}`;
    const expected = counted(a) ? 202 : 409;
    if (a.status !== expected) return `${a.by} ${a.decision}: answered ${a.status}, expected ${expected} (resolved: ${resolved.payload.decided_by} ${resolved.payload.decision})`;
  }
  if (kind === 'race' && answers.filter((a) => a.status === 202).length !== 1) return `a race with ${answers.filter((a) => a.status === 202).length} winners`;
  return undefined;
}
