import { join } from 'node:path';
import { z } from 'zod';
import { isLoopback } from '../../contracts/loopback.js';
import { parseRedisUrl } from '../../infra/redis-address.js';
import { parseKeyRing } from '../../infra/trust/key-ring.js';
import { Duration } from '../../contracts/duration.js';
import { ShareAllowlistText } from '../../contracts/share-allowlist.js';
import type { TracingConfig } from '../../infra/tracing/start-tracing.js';

const Port = z.coerce.number().int().min(1).max(65535);
const Bool = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1');
const Optional = z.string().optional().transform((v) => (v === undefined || v === '' ? undefined : v));
/** An address that may be left empty (compose passes `${VAR:-}`): empty is "not configured". */
const OptionalUrl = Optional.pipe(z.url().optional());
const OptionalHttpUrl = Optional.pipe(z.url({ protocol: /^https?$/ }).optional());
/** `id:base64key[,id:base64key…]`, newest first: the first key writes, every key reads (rotation). 32-byte keys. */
const KeyRingText = z.string().transform((value, ctx) => {
  const ring = parseKeyRing(value);
  if (!ring) {
    ctx.addIssue({ code: 'custom', message: 'must be id:base64key[,id:base64key…] with 32-byte keys (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return ring;
});

/** `key=value,…` as the OpenTelemetry SDKs read it (values percent-decoded): a collector's credentials, typically. */
const OtlpHeaders = z.string().transform((text, ctx) => {
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    let value: string | undefined;
    try {
      value = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    if (at < 1 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be name=value[,name=value…] (values percent-encoded)' });
      return z.NEVER;
    }
    headers[name] = value;
  }
  return headers;
});

/** A Standard Webhooks secret: `whsec_` and 24 to 64 random bytes in base64 (`echo whsec_$(openssl rand -base64 32)`). */
const WebhookSecret = z.string().refine((text) => {
  const body = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text)?.[1];
  const bytes = body ? Buffer.from(body, 'base64').length : 0;
  return bytes >= 24 && bytes <= 64;
}, 'must be whsec_ and 24 to 64 bytes in base64 (echo whsec_$(openssl rand -base64 32))');

const RedisUrl = z.string().refine((url) => parseRedisUrl(url) !== undefined, 'must be a redis:// URL, or redis+cluster://[user:password@]host:port[,host:port…] for a cluster');
const AmqpUrl = z.string().regex(/^amqps?:\/\//, 'must be an amqp:// URL');

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: Optional,
  REDIS_URL: RedisUrl.default('redis://127.0.0.1:6379'),
  AMQP_URL: AmqpUrl.default('amqp://guest:guest@127.0.0.1:5672'),
  // One login per role when the roles share a process (`./nexus start` on local services); unset: REDIS_URL/AMQP_URL.
  NEXUS_API_REDIS_URL: RedisUrl.optional(),
  NEXUS_WORKER_REDIS_URL: RedisUrl.optional(),
  NEXUS_BRIDGE_REDIS_URL: RedisUrl.optional(),
  NEXUS_API_AMQP_URL: AmqpUrl.optional(),
  NEXUS_WORKER_AMQP_URL: AmqpUrl.optional(),
  NEXUS_BRIDGE_AMQP_URL: AmqpUrl.optional(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('nexus'),
  TEMPORAL_UI_PORT: Port.default(8233),
  TEMPORAL_CLI_PATH: Optional,
  NEXUS_START_TEMPORAL: z.enum(['auto', 'always', 'never']).default('auto'),
  NEXUS_DATA_DIR: z.string().default('.data'),
  NEXUS_ASK_TIMEOUT: Duration.default(24 * 3_600_000),
  NEXUS_SHARE_ALLOWLIST: ShareAllowlistText.default([]),
  NEXUS_SHARE_SIGNING_SECRET: Optional,
  NEXUS_SHARE_MAX_BYTES: z.coerce.number().int().min(1).default(1024 * 1024),
  NEXUS_SHARE_TIMEOUT: Duration.default(10_000),
  // Telling approvers about asks (policy files' approval.notify): the Standard Webhooks secret, and how hard to try.
  NEXUS_NOTIFY_WEBHOOK_SECRET: WebhookSecret.optional(),
  NEXUS_NOTIFY_TIMEOUT: Duration.default(10_000),
  NEXUS_NOTIFY_RETRY_INTERVAL: Duration.default(2_000),
  NEXUS_NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  NEXUS_SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be smtp://[user:password@]host[:port] (STARTTLS) or smtps://… (TLS)').refine((text) => URL.canParse(text), 'must be a URL').optional(),
  NEXUS_SMTP_FROM: z.string().min(3).max(300).regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an address, or Name <address>').optional(),
  NEXUS_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{0,64}$/).default('nexus:'),
  NEXUS_REPORTS_EXCHANGE: z.string().min(1).default('nexus.reports'),
  NEXUS_BRIDGE_QUEUE: z.string().min(1).default('nexus.reports.bridge'),
  NEXUS_BRIDGE_PREFETCH: z.coerce.number().int().min(1).max(10_000).default(512),
  NEXUS_STREAM_MAXLEN: z.coerce.number().int().min(100).default(100_000),
  NEXUS_REDIS_REPLICA_ACKS: z.coerce.number().int().min(0).max(10).default(0),
  NEXUS_REDIS_REPLICA_ACK_TIMEOUT: Duration.default(1_000),
  NEXUS_SSE_HEARTBEAT: Duration.default(15_000),
  NEXUS_SSE_RETRY: Duration.default(2_000),
  NEXUS_SSE_CLIENT_BUFFER: z.coerce.number().int().min(10).default(2_000),
  NEXUS_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  NEXUS_AGENT_TIMEOUT: Duration.default(5 * 60_000),
  NEXUS_AGENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  NEXUS_AGENT_RETRY_INTERVAL: Duration.default(1_000),
  NEXUS_AGENT_HEARTBEAT_TIMEOUT: Duration.default(30_000),
  NEXUS_STALL_CHECK_INTERVAL: Duration.default(30_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LLM_PRIMARY_PROVIDER: z.enum(['anthropic', 'openai', 'gemini']).default('anthropic'),
  ANTHROPIC_API_KEY: Optional,
  ANTHROPIC_MODEL: z.string().default('claude-sonnet-5-5'),
  ANTHROPIC_BASE_URL: OptionalUrl,
  OPENAI_API_KEY: Optional,
  OPENAI_MODEL: z.string().default('gpt-4.1-mini'),
  OPENAI_BASE_URL: OptionalUrl,
  GEMINI_API_KEY: Optional,
  GEMINI_MODEL: z.string().default('gemini-2.5-flash'),
  GEMINI_BASE_URL: z.url().default('https://generativelanguage.googleapis.com/v1beta/openai/'),
  LLM_FALLBACK: z.string().regex(/^((anthropic|openai|gemini)(,(anthropic|openai|gemini))*)?$/, 'must be a comma-separated list of anthropic, openai, gemini').optional(),
  LLM_TIMEOUT: Duration.default(60_000),
  LLM_REQUIRED: Bool.default(false),
  NEXUS_POLICY_DIR: z.string().default('policies'),
  NEXUS_REMOTE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{0,64}$/).default(''),
  NEXUS_REMOTE_HEARTBEAT_TIMEOUT: Duration.default(30_000),
  NEXUS_BLOB_DIR: Optional,
  NEXUS_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(5 * 1024 * 1024),
  // Whoever writes it (an upload, an agent's outbox): the most one stored file may hold.
  NEXUS_MAX_STORED_FILE_BYTES: z.coerce.number().int().min(1024).max(5 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  // Where uploads live: a local folder (one machine, or a shared volume) or an S3-compatible bucket (several hosts).
  NEXUS_BLOB_STORE: z.enum(['local', 's3']).default('local'),
  NEXUS_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  NEXUS_S3_PREFIX: z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, 'must be empty or folder names, each ending in /').default(''),
  NEXUS_S3_REGION: z.string().regex(/^[a-z0-9-]{1,32}$/).default('us-east-1'),
  // MinIO, Ceph, a local test server; unset: AWS itself.
  NEXUS_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  NEXUS_S3_FORCE_PATH_STYLE: Bool.default(false),
  // Unset: the AWS SDK's own chain (AWS_* variables, a web identity, an instance role).
  NEXUS_S3_ACCESS_KEY_ID: Optional,
  NEXUS_S3_SECRET_ACCESS_KEY: Optional,
  NEXUS_S3_SERVER_SIDE_ENCRYPTION: z.enum(['AES256', 'aws:kms']).optional(),
  SENS_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://sens.apigw.ntruss.com'),
  SENS_ACCESS_KEY: Optional,
  SENS_SECRET_KEY: Optional,
  SENS_ALIMTALK_SERVICE_ID: Optional,
  SENS_PLUS_FRIEND_ID: Optional,
  SENS_TEMPLATE_CODE: Optional,
  // The AlimTalk template of approval notices (policy files' approval.notify, channel alimtalk).
  SENS_NOTIFY_TEMPLATE_CODE: Optional,
  SENS_RATE_LIMIT_PER_SEC: z.coerce.number().positive().max(10_000).default(50),
  SENS_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  SENS_TIMEOUT: Duration.default(15_000),
  NEXUS_PLAN_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  NEXUS_PLAN_REVISIONS: z.coerce.number().int().min(0).max(10).default(2),
  NEXUS_AUTH: z.enum(['local', 'tokens']).default('local'),
  NEXUS_AUTH_CACHE_TTL: Duration.default(5_000),
  NEXUS_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(600),
  NEXUS_ASK_MISS_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(30),
  NEXUS_REFUSAL_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(60),
  NEXUS_REQUEST_TIMEOUT: Duration.default(30_000),
  NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL: z.coerce.number().int().min(1).default(20),
  // /metrics of a process without the API (worker, bridge); the API serves it on PORT as well.
  NEXUS_METRICS_PORT: Port.optional(),
  // OpenTelemetry traces over OTLP/HTTP (JSON), the SDK's standard names: the base endpoint gets /v1/traces, the
  // signal's own endpoint is used as it is.
  OTEL_EXPORTER_OTLP_ENDPOINT: OptionalHttpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: OptionalHttpUrl,
  OTEL_EXPORTER_OTLP_HEADERS: OtlpHeaders.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).default('nexus'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  NEXUS_STREAM_TICKET_TTL: Duration.default(120_000),
  // Trust boundary: keys that sign decisions and encrypt Temporal payloads (generated into NEXUS_DATA_DIR/keys when
  // unset), how a secured Temporal is reached, and who may use the Web UI's codec endpoint.
  NEXUS_DECISION_KEYS: KeyRingText.optional(),
  NEXUS_PAYLOAD_KEYS: KeyRingText.optional(),
  NEXUS_DECISION_MAX_AGE: Duration.default(120_000),
  NEXUS_OPERATOR_ORG: Optional,
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  TEMPORAL_API_KEY: Optional,
  TEMPORAL_TLS: Bool.default(false),
  TEMPORAL_TLS_CERT: Optional,
  TEMPORAL_TLS_KEY: Optional,
  TEMPORAL_TLS_CA: Optional,
  TEMPORAL_TLS_SERVER_NAME: Optional,
});

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

function toConfig(env: z.infer<typeof Env>) {
  const keys = { anthropic: env.ANTHROPIC_API_KEY, openai: env.OPENAI_API_KEY, gemini: env.GEMINI_API_KEY };
  // Primary first, then the fallback order (by default the others in a fixed order); only providers with a key.
  const order = [env.LLM_PRIMARY_PROVIDER, ...(env.LLM_FALLBACK?.split(',') ?? ['anthropic', 'openai', 'gemini'])] as Array<keyof typeof keys>;
  const llmProviders = [...new Set(order)].filter((p) => keys[p] !== undefined);
  return {
    http: { port: env.PORT, host: env.HOST, publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}` },
    redis: {
      url: env.REDIS_URL,
      /** Each role's own login (runtime/cli/local-users.ts defines them on local services). */
      roleUrls: { api: env.NEXUS_API_REDIS_URL ?? env.REDIS_URL, worker: env.NEXUS_WORKER_REDIS_URL ?? env.REDIS_URL, bridge: env.NEXUS_BRIDGE_REDIS_URL ?? env.REDIS_URL },
      prefix: env.NEXUS_REDIS_PREFIX,
      streamMaxLen: env.NEXUS_STREAM_MAXLEN,
      /** Replicas that must hold a stored report before the bridge acks its message (WAIT); 0: the master's answer. */
      replicaAcks: { replicas: env.NEXUS_REDIS_REPLICA_ACKS, timeoutMs: env.NEXUS_REDIS_REPLICA_ACK_TIMEOUT },
    },
    amqp: {
      url: env.AMQP_URL,
      roleUrls: { api: env.NEXUS_API_AMQP_URL ?? env.AMQP_URL, worker: env.NEXUS_WORKER_AMQP_URL ?? env.AMQP_URL, bridge: env.NEXUS_BRIDGE_AMQP_URL ?? env.AMQP_URL },
      exchange: env.NEXUS_REPORTS_EXCHANGE,
      bridgeQueue: env.NEXUS_BRIDGE_QUEUE,
      prefetch: env.NEXUS_BRIDGE_PREFETCH,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiPort: env.TEMPORAL_UI_PORT,
      cliPath: env.TEMPORAL_CLI_PATH,
      startDevServer: env.NEXUS_START_TEMPORAL,
      dataDir: env.NEXUS_DATA_DIR,
      /** Dashboard links to the Web UI only when an operator configured where it is. */
      uiUrl: env.TEMPORAL_UI_URL,
      apiKey: env.TEMPORAL_API_KEY,
      tls: env.TEMPORAL_TLS || env.TEMPORAL_TLS_CERT !== undefined || env.TEMPORAL_TLS_CA !== undefined || env.TEMPORAL_API_KEY !== undefined
        ? { certPath: env.TEMPORAL_TLS_CERT, keyPath: env.TEMPORAL_TLS_KEY, caPath: env.TEMPORAL_TLS_CA, serverName: env.TEMPORAL_TLS_SERVER_NAME }
        : undefined,
    },
    trust: {
      /** Undefined: read from (or generated into) `<NEXUS_DATA_DIR>/keys/`, see runtime/key-files.ts. */
      decisionKeys: env.NEXUS_DECISION_KEYS,
      payloadKeys: env.NEXUS_PAYLOAD_KEYS,
      keyDir: join(env.NEXUS_DATA_DIR, 'keys'),
      decisionMaxAgeMs: env.NEXUS_DECISION_MAX_AGE,
      /** Tokens of this org with the admin role may use the codec endpoint (tokens mode); unset: nobody may. */
      operatorOrg: env.NEXUS_OPERATOR_ORG,
    },
    workflow: {
      askTimeoutMs: env.NEXUS_ASK_TIMEOUT,
      agentTimeoutMs: env.NEXUS_AGENT_TIMEOUT,
      agentMaxAttempts: env.NEXUS_AGENT_MAX_ATTEMPTS,
      agentRetryIntervalMs: env.NEXUS_AGENT_RETRY_INTERVAL,
      agentHeartbeatTimeoutMs: env.NEXUS_AGENT_HEARTBEAT_TIMEOUT,
      planRevisions: env.NEXUS_PLAN_REVISIONS,
      /** How often the API asks Temporal for commands stuck on a failing workflow task (`/health`, logs). */
      stallCheckIntervalMs: env.NEXUS_STALL_CHECK_INTERVAL,
    },
    policy: { dir: env.NEXUS_POLICY_DIR },
    remote: { prefix: env.NEXUS_REMOTE_PREFIX, heartbeatTimeoutMs: env.NEXUS_REMOTE_HEARTBEAT_TIMEOUT },
    files: {
      maxUploadBytes: env.NEXUS_MAX_UPLOAD_BYTES,
      maxStoredBytes: env.NEXUS_MAX_STORED_FILE_BYTES,
      store: env.NEXUS_BLOB_STORE === 's3'
        ? {
          kind: 's3' as const,
          bucket: env.NEXUS_S3_BUCKET ?? '',
          prefix: env.NEXUS_S3_PREFIX,
          region: env.NEXUS_S3_REGION,
          endpoint: env.NEXUS_S3_ENDPOINT,
          forcePathStyle: env.NEXUS_S3_FORCE_PATH_STYLE,
          credentials: env.NEXUS_S3_ACCESS_KEY_ID && env.NEXUS_S3_SECRET_ACCESS_KEY
            ? { accessKeyId: env.NEXUS_S3_ACCESS_KEY_ID, secretAccessKey: env.NEXUS_S3_SECRET_ACCESS_KEY }
            : undefined,
          serverSideEncryption: env.NEXUS_S3_SERVER_SIDE_ENCRYPTION,
        }
        : { kind: 'local' as const, dir: env.NEXUS_BLOB_DIR ?? join(env.NEXUS_DATA_DIR, 'blobs') },
    },
    sens: {
      baseUrl: env.SENS_BASE_URL,
      accessKey: env.SENS_ACCESS_KEY,
      secretKey: env.SENS_SECRET_KEY,
      serviceId: env.SENS_ALIMTALK_SERVICE_ID,
      plusFriendId: env.SENS_PLUS_FRIEND_ID,
      templateCode: env.SENS_TEMPLATE_CODE,
      notifyTemplateCode: env.SENS_NOTIFY_TEMPLATE_CODE,
      rateLimitPerSec: env.SENS_RATE_LIMIT_PER_SEC,
      batchSize: env.SENS_BATCH_SIZE,
      timeoutMs: env.SENS_TIMEOUT,
    },
    agents: {
      shareAllowlist: env.NEXUS_SHARE_ALLOWLIST,
      share: { signingSecret: env.NEXUS_SHARE_SIGNING_SECRET, maxBytes: env.NEXUS_SHARE_MAX_BYTES, timeoutMs: env.NEXUS_SHARE_TIMEOUT },
    },
    notify: {
      webhookSecret: env.NEXUS_NOTIFY_WEBHOOK_SECRET,
      timeoutMs: env.NEXUS_NOTIFY_TIMEOUT,
      retryIntervalMs: env.NEXUS_NOTIFY_RETRY_INTERVAL,
      maxAttempts: env.NEXUS_NOTIFY_MAX_ATTEMPTS,
      /** E-mail notices: both or neither (checked in loadConfig). */
      smtp: env.NEXUS_SMTP_URL && env.NEXUS_SMTP_FROM ? { url: env.NEXUS_SMTP_URL, from: env.NEXUS_SMTP_FROM } : undefined,
    },
    sse: {
      heartbeatMs: env.NEXUS_SSE_HEARTBEAT,
      retryMs: env.NEXUS_SSE_RETRY,
      clientBuffer: env.NEXUS_SSE_CLIENT_BUFFER,
    },
    limits: {
      maxBodyBytes: env.NEXUS_MAX_BODY_BYTES,
      /** POSTs per org per minute (0: off); fixed one-minute windows in Redis. */
      ratePerMin: env.NEXUS_RATE_LIMIT_PER_MIN,
      /** 404s on /approvals/* per principal per minute before 429 (0: off): guessing ask ids is slow. */
      askMissesPerMin: env.NEXUS_ASK_MISS_LIMIT_PER_MIN,
      /** Tokens mode: refused requests (4xx on tenant routes) per principal, or per peer address without one, per minute before 429 (0: off). */
      refusalsPerMin: env.NEXUS_REFUSAL_LIMIT_PER_MIN,
      requestTimeoutMs: env.NEXUS_REQUEST_TIMEOUT,
      sseClientsPerPrincipal: env.NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL,
    },
    auth: { mode: env.NEXUS_AUTH, cacheTtlMs: env.NEXUS_AUTH_CACHE_TTL, ticketTtlMs: env.NEXUS_STREAM_TICKET_TTL },
    log: { level: env.LOG_LEVEL },
    metrics: { port: env.NEXUS_METRICS_PORT },
    tracing: {
      tracesUrl: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined),
      headers: env.OTEL_EXPORTER_OTLP_HEADERS ?? {},
      serviceName: env.OTEL_SERVICE_NAME,
      sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
    } satisfies TracingConfig,
    llm: {
      primary: env.LLM_PRIMARY_PROVIDER,
      providers: llmProviders,
      anthropic: { apiKey: env.ANTHROPIC_API_KEY, model: env.ANTHROPIC_MODEL, baseUrl: env.ANTHROPIC_BASE_URL },
      openai: { apiKey: env.OPENAI_API_KEY, model: env.OPENAI_MODEL, baseUrl: env.OPENAI_BASE_URL },
      gemini: { apiKey: env.GEMINI_API_KEY, model: env.GEMINI_MODEL, baseUrl: env.GEMINI_BASE_URL },
      timeoutMs: env.LLM_TIMEOUT,
      planAttempts: env.NEXUS_PLAN_ATTEMPTS,
      required: env.LLM_REQUIRED,
    },
  };
}


/**
 * Local mode trusts the tenant headers, so it may only listen on loopback; anything reachable from elsewhere
 * needs tokens. Checked by every process that serves the API (the worker and bridge do not listen).
 */
export function assertSafeListen(config: Pick<Config, 'auth' | 'http'>): void {
  if (config.auth.mode === 'local' && !isLoopback(config.http.host)) {
    throw new ConfigError(`HOST=${config.http.host} needs NEXUS_AUTH=tokens (local mode trusts headers)`);
  }
}

/** What the file settings need together: a bucket for S3, both halves of a key, a ceiling above the upload limit. */
function assertFilesConfig(env: z.infer<typeof Env>): void {
  if (env.NEXUS_BLOB_STORE === 's3' && !env.NEXUS_S3_BUCKET) throw new ConfigError('NEXUS_BLOB_STORE=s3 needs NEXUS_S3_BUCKET');
  if ((env.NEXUS_S3_ACCESS_KEY_ID === undefined) !== (env.NEXUS_S3_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigError('NEXUS_S3_ACCESS_KEY_ID and NEXUS_S3_SECRET_ACCESS_KEY go together');
  }
  if (env.NEXUS_MAX_STORED_FILE_BYTES < env.NEXUS_MAX_UPLOAD_BYTES) {
    throw new ConfigError(`NEXUS_MAX_STORED_FILE_BYTES=${env.NEXUS_MAX_STORED_FILE_BYTES} is below NEXUS_MAX_UPLOAD_BYTES=${env.NEXUS_MAX_UPLOAD_BYTES}: an upload could not be stored`);
  }
}

/** Values that may carry credentials are not echoed back: URLs lose their user info, keys and secrets are hidden. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (/(KEY|SECRET|TOKEN|PASSWORD|HEADERS)/.test(name)) return '***';
  return /_URL$/.test(name) ? value.replace(/\/\/[^@/]*@/, '//***@') : value;
}

/** Reads the environment once; a bad value throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // `VAR=` (as compose files and shells produce) means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const name = String(first?.path[0] ?? 'environment');
    throw new ConfigError(`${name}=${shown(name, env[name])} is invalid: ${first?.message ?? 'bad value'}`);
  }
  const config = toConfig(parsed.data);
  if (config.llm.required && config.llm.providers.length === 0) {
    throw new ConfigError('LLM_REQUIRED=true but no provider configured');
  }
  assertFilesConfig(parsed.data);
  if ((parsed.data.NEXUS_SMTP_URL === undefined) !== (parsed.data.NEXUS_SMTP_FROM === undefined)) {
    throw new ConfigError('NEXUS_SMTP_URL and NEXUS_SMTP_FROM go together: where to send e-mail, and who it is from');
  }
  return config;
}
