import type { Redis } from 'ioredis';
import type { AgentRegistry } from '../agents/registry.js';
import type { AuditLog } from '../infra/store/audit-log.js';
import type { StreamTickets } from './auth/stream-tickets.js';
import type { TokenStore } from './auth/token-store.js';
import type { DecisionSeal } from '../infra/trust/decision-seal.js';
import type { PayloadCodec } from '@temporalio/common';
import type { CommandSettings, HealthCheckName, StalledCommands } from '../contracts/index.js';
import type { BlobStore } from '../infra/files/blob-store.js';
import type { Logger } from '../infra/logger.js';
import type { NexusMetrics } from '../infra/metrics/nexus-metrics.js';
import type { MetricsPart } from '../infra/metrics/metrics-text.js';
import type { AskIndex } from '../infra/store/ask-index.js';
import type { ApprovalLinks } from '../infra/store/approval-links.js';
import type { LinkSeal } from '../infra/trust/link-seal.js';
import type { StandingSeal } from '../infra/trust/standing-seal.js';
import type { StandingApprovals } from '../infra/store/standing-approvals.js';
import type { PolicyStore } from '../infra/files/policy-store.js';
import type { CommandLedger } from '../infra/store/command-ledger.js';
import type { ReportStore } from '../infra/store/report-store.js';
import type { SseClientLimiter } from './sse/client-limiter.js';
import type { FeedHub } from './sse/report-feed.js';
import type { CommandGateway } from './temporal/command-gateway.js';

/** Everything the HTTP app needs, built once in main (or a test) and passed in. */
export interface ApiDeps {
  logger: Logger;
  agents: AgentRegistry;
  gateway: CommandGateway;
  ledger: CommandLedger;
  askIndex: AskIndex;
  store: ReportStore;
  feeds: FeedHub;
  redis: Redis;
  checkAmqp: () => Promise<void>;
  /** Where each dependency is (`serviceAddress`: no logins), named by `/health` so a failure says where to look. */
  addresses: Record<HealthCheckName, string>;
  settings: CommandSettings;
  limits: {
    maxBodyBytes: number;
    /** POSTs per org per minute; 0 turns it off. */
    ratePerMin: number;
    /** 404s on /approvals/* per principal per minute before 429; 0 turns it off. */
    askMissesPerMin: number;
    requestTimeoutMs: number;
  };
  /** `local`: trusted headers (loopback only); `tokens`: Bearer tokens and stream tickets. */
  auth: { mode: 'local' | 'tokens'; tokens: TokenStore; tickets: StreamTickets; prefix: string };
  audit: AuditLog;
  sseClients: SseClientLimiter;
  /** Uploaded spreadsheets (`POST /files`); the worker reads the same store. */
  files: { store: BlobStore; maxUploadBytes: number };
  sse: { heartbeatMs: number; retryMs: number };
  /** Where the Temporal Web UI is, when an operator said so; without it the dashboard shows no Temporal links. */
  temporalUiUrl: string | undefined;
  /**
   * Approval links: where they are kept, what signs them, and the address they are sent with (`PUBLIC_URL`, never
   * a request's Host header, which whoever sends the request chooses).
   */
  links: { store: ApprovalLinks; seal: LinkSeal; publicUrl: string };
  /**
   * Standing approvals: where they are kept, what signs them, and the policy files that say whether they are
   * allowed, for how long, and how many approvers each needs.
   */
  standing: { store: StandingApprovals; seal: StandingSeal; policies: PolicyStore };
  /** Signs every decision the API authorized, so the workflow can tell it from one sent straight to Temporal. */
  seal: DecisionSeal;
  /** The Web UI's remote codec: the payload codec, who may use it, and the UI origins allowed to call it. */
  codec: { codec: PayloadCodec; operatorOrg: string | undefined; origins: string[] };
  temporalNamespace: string;
  /** This NEXUS's metrics (`GET /metrics`), and where Temporal core's are, when this process runs a worker. */
  metrics: NexusMetrics;
  temporalCoreMetricsUrl: string | undefined;
  /** Under `./nexus start`, the other role processes' metrics, merged into this API's `/metrics`. */
  siblingMetrics?: () => Promise<MetricsPart[]>;
  /** The last check for commands stuck on a failing workflow task (absent where nothing watches). */
  stalled?: { latest(): StalledCommands | undefined };
}
