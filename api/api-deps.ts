import type { Redis } from 'ioredis';
import type { AgentRegistry } from '../agents/registry.js';
import type { CommandSettings } from '../contracts/index.js';
import type { BlobStore } from '../files/blob-store.js';
import type { Logger } from '../infra/logger.js';
import type { AskIndex } from '../store/ask-index.js';
import type { CommandLedger } from '../store/command-ledger.js';
import type { ReportStore } from '../store/report-store.js';
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
  settings: CommandSettings;
  limits: { maxBodyBytes: number };
  /** Uploaded spreadsheets (`POST /files`); the worker reads the same store. */
  files: { store: BlobStore; maxUploadBytes: number };
  sse: { heartbeatMs: number; retryMs: number };
  temporalUiUrl: string;
  temporalNamespace: string;
}
