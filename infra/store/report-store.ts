import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ReplyError, type Redis } from 'ioredis';
import { isTerminalReport, type Report, type Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { RedisKeys } from './keys.js';
import { AppendBatcher, type Batched } from './append-batcher.js';

const APPEND_SCRIPT = readFileSync(new URL('./append-report.lua', import.meta.url), 'utf8');
const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

/** The append script's keys for the batch's tenant and for each report (append-report.lua). */
const TENANT_KEYS = 3;
const KEYS_PER_REPORT = 3;
/** Reports per script call: Redis runs nothing else while a script runs, so a batch stays about a millisecond. */
const MAX_BATCH = 64;

/** How long a report id is remembered for dedupe; longer than any message can wait in RabbitMQ. */
const SEEN_TTL_SECONDS = 7 * 24 * 3600;
/** Tenants whose open asks are counted at once when the gauge is read. */
const OPEN_ASK_COUNT_BATCH = 100;
/** An ask's index entry outlives its expiry by this much, so late decisions still get a clear 409. */
const ASK_GRACE_SECONDS = 7 * 24 * 3600;

export interface StreamEntry {
  id: string;
  data: string;
  /** The W3C `traceparent` of the bridge's span that stored it (tracing on), for the SSE write to continue. */
  trace?: string;
}

/** One XRANGE/XREAD row: the report first, then the optional trace context. */
export function entryOf(id: string, fields: readonly string[]): StreamEntry {
  const trace = fields[2] === 'trace' ? fields[3] : undefined;
  return { id, data: fields[1] ?? '', ...(trace ? { trace } : {}) };
}

export interface AppendResult {
  id: string;
  added: boolean;
  /** For a newly stored ask_resolved/ask_expired: when its ask was created (for the decision-latency metric). */
  askedAt?: string;
}

/** What the store holds of one command's reports: the highest seq, whether its end is among them, its open asks. */
export interface CommandProgress {
  seq: number;
  terminal: boolean;
  /** Asks created and not closed on the stream, in id order (several while a plan's asks wait together). */
  openAsks: string[];
}

/** The append script's answer: one reply per report of the batch. */
type AppendReplies = Array<[string, number, string?]>;

/** One report's part of a batch: its own script keys and arguments (the tenant's are the batch's). */
interface PendingAppend {
  tenant: Tenant;
  keys: string[];
  args: Array<string | number>;
}

/** The script's reply for a report whose own writes failed (the other reports of its batch are unaffected). */
const REPORT_FAILED = 2;

/** How many replicas must have a stored report before it counts as stored, and how long to wait for them. */
export interface ReplicaAcks {
  replicas: number;
  timeoutMs: number;
}

/**
 * Fewer replicas than asked confirmed a report in time. The report is on the master: a retry stores nothing twice
 * (dedupe by report_id) and waits again, so the bridge keeps the message unacked until a replica holds it.
 */
export class ReplicasBehindError extends Error {
  readonly code = 'redis_replicas_behind';
  constructor(wanted: number, acked: number, timeoutMs: number) {
    super(`${acked} of ${wanted} Redis replica(s) confirmed the report within ${timeoutMs} ms`);
    this.name = 'ReplicasBehindError';
  }
}

/** The per-tenant Redis Streams of reports: the bridge appends, the SSE endpoint reads. */
export class ReportStore {
  private readonly batcher = new AppendBatcher<PendingAppend, AppendResult>(MAX_BATCH, (batch) => this.appendBatch(batch));

  constructor(
    private readonly redis: Redis,
    readonly keys: RedisKeys,
    private readonly maxLen: number,
    /** The bridge's durability: a master that dies before its replicas copied a report would lose it after its ack. */
    private readonly replicaAcks: ReplicaAcks = { replicas: 0, timeoutMs: 0 },
  ) {}

  /**
   * Stores a report exactly once (see append-report.lua); appends asked for together go to Redis in one script call
   * per tenant, each report's writes its own (one failing fails only that report).
   * `traceparent`: the storing span's trace context, kept beside the report ('' or absent: not traced).
   */
  append(report: Report, traceparent = ''): Promise<AppendResult> {
    const tenant = { org_id: report.org_id, project_id: report.project_id };
    const ask = askIndexArgs(report);
    const askKey = this.keys.ask(tenant, ask?.askId ?? '_none');
    const keys = [this.keys.reportSeen(tenant, report.report_id), askKey, this.keys.progress(tenant, report.workflow_id)];
    // The ask's fields travel as one JSON argument, read only for the few reports that touch an ask: the client
    // spends CPU on every argument of every report, empty or not.
    const args = [
      JSON.stringify(report),
      report.workflow_id,
      report.correlation_id,
      report.seq,
      isTerminalReport(report) ? '1' : '0',
      report.ts,
      traceparent,
      ask ? JSON.stringify(ask, wellFormed) : '',
    ];
    return this.batcher.add(this.keys.reports(tenant), { tenant, keys, args });
  }

  private async appendBatch(batch: Array<Batched<PendingAppend, AppendResult>>): Promise<void> {
    const first = batch[0];
    if (!first) return;
    const { tenant } = first.item;
    const stream = this.keys.reports(tenant);
    const argv: Array<string | number> = [TENANT_KEYS + batch.length * KEYS_PER_REPORT, stream, this.keys.trimmedUpTo(tenant), this.keys.openAsks(tenant)];
    for (const { item } of batch) for (const key of item.keys) argv.push(key);
    argv.push(this.maxLen, SEEN_TTL_SECONDS, Date.now());
    for (const { item } of batch) for (const arg of item.args) argv.push(arg);
    const replies = await this.runAppendScript(argv);
    // Before any report counts as stored: one WAIT covers the whole batch (same connection, same slot).
    await this.waitForReplicas(stream);
    batch.forEach((entry, i) => {
      const [id, added, detail] = replies[i] ?? ['', REPORT_FAILED, 'no reply for this report'];
      if (added === REPORT_FAILED) entry.reject(new ReplyError(detail ?? 'the append failed'));
      else entry.resolve({ id, added: added === 1, ...(detail ? { askedAt: detail } : {}) });
    });
  }

  /**
   * `argv`: numkeys, the tenant's keys, every report's keys, the batch's arguments, every report's arguments, as one
   * list (ioredis flattens it; spreading a thousand arguments cost more than the call).
   * As EVALSHA itself, not a command ioredis defines: on a cluster its auto-pipelining groups a tick's commands by the
   * node of their first key, which it finds for EVALSHA (after numkeys) but takes as the first argument of a defined
   * script, numkeys here, so calls for tenants on other masters shared one pipeline and it was refused whole.
   */
  private async runAppendScript(argv: Array<string | number>): Promise<AppendReplies> {
    try {
      return (await this.redis.call('evalsha', [APPEND_SHA, ...argv])) as AppendReplies;
    } catch (err) {
      // A Redis that has not run it yet (new, restarted, failed over, flushed): EVAL runs it and keeps it.
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return (await this.redis.call('eval', [APPEND_SCRIPT, ...argv])) as AppendReplies;
    }
  }

  /**
   * WAIT (when replicas are asked for) on the node that holds the stream's slot: a pipeline behind a read of that
   * key goes where the key is, on the connection the append used, and WAIT covers every write that connection made
   * before it, so a retry whose append is a no-op still waits for the first one. Not in one pipeline with the
   * append: ioredis follows a cluster's MOVED for a pipeline only when every command in it was redirected, and WAIT
   * answers anywhere, so such a pipeline kept going to a demoted master.
   */
  private async waitForReplicas(stream: string): Promise<void> {
    const { replicas, timeoutMs } = this.replicaAcks;
    if (replicas === 0) return;
    const [read, waited] = (await this.redis.pipeline().exists(stream).wait(replicas, timeoutMs).exec()) ?? [];
    if (!read || !waited) throw new Error('no reply from Redis to WAIT');
    if (read[0]) throw read[0];
    if (waited[0]) throw waited[0];
    const acked = Number(waited[1]);
    if (acked < replicas) throw new ReplicasBehindError(replicas, acked, timeoutMs);
  }

  /** Null when no report of that workflow is stored for the tenant (never sent, or forgotten after the seen TTL). */
  async progress(tenant: Tenant, workflowId: string): Promise<CommandProgress | null> {
    const fields = await this.redis.hgetall(this.keys.progress(tenant, workflowId));
    if (fields.seq === undefined) return null;
    const open = new Set(Object.keys(fields).filter((f) => f.startsWith('open:')).map((f) => f.slice('open:'.length)));
    // Stored before every open ask was kept: only the latest one, under `ask`.
    if (fields.ask) open.add(fields.ask);
    return { seq: Number(fields.seq), terminal: fields.terminal === '1', openAsks: [...open].sort() };
  }

  /** Entries strictly after `afterId`, up to and including `untilId`, oldest first. */
  async range(tenant: Tenant, afterId: string, untilId: string, count: number): Promise<StreamEntry[]> {
    const rows = await this.redis.xrange(this.keys.reports(tenant), `(${afterId}`, untilId, 'COUNT', count);
    return rows.map(([id, fields]) => entryOf(id, fields));
  }

  /** Entries strictly before `beforeId` (all when undefined), newest first. */
  async rangeBefore(tenant: Tenant, beforeId: string | undefined, count: number): Promise<StreamEntry[]> {
    const rows = await this.redis.xrevrange(this.keys.reports(tenant), beforeId === undefined ? '+' : `(${beforeId}`, '-', 'COUNT', count);
    return rows.map(([id, fields]) => entryOf(id, fields));
  }

  /**
   * The `ask_created` entries of the asks that may still be decided, oldest first: the `count` that expire first, and
   * whether more are open. Read from the ask index, so an ask far back in a long stream is found in one request.
   */
  async openAsks(tenant: Tenant, count: number, nowMs: number): Promise<{ entries: StreamEntry[]; more: boolean; read: number }> {
    const askIds = await this.redis.zrangebyscore(this.keys.openAsks(tenant), nowMs, '+inf', 'LIMIT', 0, count + 1);
    const wanted = askIds.slice(0, count);
    if (wanted.length === 0) return { entries: [], more: false, read: 0 };
    const pipeline = this.redis.pipeline();
    for (const askId of wanted) pipeline.hmget(this.keys.ask(tenant, askId), 'status', 'stream_id', 'report');
    const entries: StreamEntry[] = [];
    for (const [err, fields] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const [status, id, data] = fields as Array<string | null>;
      // The hash has the last word (a set member outlives an ask hash that expired early or was written before
      // asks kept their report).
      if ((status === 'pending' || status === 'deciding') && id && data) entries.push({ id, data });
    }
    entries.sort((a, b) => compareStreamIds(a.id, b.id));
    return { entries, more: askIds.length > count, read: wanted.length };
  }

  /**
   * Puts the tenant on the list the open-asks gauge reads. Apart from the append script, which touches only the
   * tenant's own slot; idempotent, so a redelivered ask repeats it harmlessly.
   */
  async rememberAskTenant(tenant: Tenant): Promise<void> {
    await this.redis.sadd(this.keys.askTenants(), JSON.stringify([tenant.org_id, tenant.project_id]));
  }

  /** Asks that can still be decided, over every tenant that ever had one (`nexus_asks_open`). */
  async countOpenAsks(nowMs: number): Promise<number> {
    const tenants = await this.redis.smembers(this.keys.askTenants());
    let open = 0;
    // One call per tenant, in batches: on Redis Cluster each tenant's set lives in its own slot.
    for (let i = 0; i < tenants.length; i += OPEN_ASK_COUNT_BATCH) {
      const counts = await Promise.all(tenants.slice(i, i + OPEN_ASK_COUNT_BATCH).map((member) => {
        const [org_id = '', project_id = ''] = JSON.parse(member) as string[];
        return this.redis.zcount(this.keys.openAsks({ org_id, project_id }), `(${nowMs}`, '+inf');
      }));
      open += counts.reduce((sum, n) => sum + n, 0);
    }
    return open;
  }

  async lastId(tenant: Tenant): Promise<string> {
    const rows = await this.redis.xrevrange(this.keys.reports(tenant), '+', '-', 'COUNT', 1);
    return rows[0]?.[0] ?? '0-0';
  }

  async firstId(tenant: Tenant): Promise<string | null> {
    const rows = await this.redis.xrange(this.keys.reports(tenant), '-', '+', 'COUNT', 1);
    return rows[0]?.[0] ?? null;
  }

  async trimmedUpTo(tenant: Tenant): Promise<string | null> {
    return this.redis.get(this.keys.trimmedUpTo(tenant));
  }
}

/**
 * Redis's cjson refuses the escape JSON.stringify writes for a lone UTF-16 surrogate (a `decided_by` may hold one):
 * replaced as UTF-8 encoding replaces it, which is what these values were when they went as arguments of their own.
 */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? Buffer.from(value, 'utf8').toString('utf8') : value;
}

/** What a report does to its ask's index entry (append-report.lua reads these names); undefined: nothing. */
interface AskIndexArgs {
  op: 'create' | 'resolve' | 'expire' | 'close';
  askId: string;
  expiresAt?: string;
  expiresMs?: number;
  digest?: string;
  ttlSeconds?: number;
  decision?: string;
  agent?: string;
  decidedBy?: string;
  counted?: string;
}

function askIndexArgs(report: Report): AskIndexArgs | undefined {
  switch (report.report_type) {
    case 'ask_created': {
      const expiresMs = Date.parse(report.payload.expires_at);
      const ttl = Math.max(60, Math.ceil((expiresMs - Date.now()) / 1000)) + ASK_GRACE_SECONDS;
      return {
        op: 'create',
        askId: report.payload.ask_id,
        expiresAt: report.payload.expires_at,
        expiresMs,
        digest: report.payload.action_digest,
        ttlSeconds: ttl,
        agent: report.payload.action.agent,
      };
    }
    case 'ask_resolved':
      return {
        op: 'resolve',
        askId: report.payload.ask_id,
        decision: report.payload.decision,
        decidedBy: report.payload.decided_by,
        counted: (report.payload.decisions ?? []).map((d) => `${d.decided_by}=${d.decision}`).join('\n'),
      };
    case 'ask_expired':
      return { op: 'expire', askId: report.payload.ask_id };
    case 'task_cancelled':
      // A command that ends with its ask open (a deny or an expiry settled it before: then this changes nothing).
      return report.payload.ask_id ? { op: 'close', askId: report.payload.ask_id } : undefined;
    default:
      return undefined;
  }
}
