import { Connection } from '@temporalio/client';
import type { Config } from '../config/load-config.js';
import { connectionOptions } from '../../infra/temporal-options.js';

/** Something answers at TEMPORAL_ADDRESS that NEXUS must not use: one line for the operator, exit 1. */
export class TemporalProbeError extends Error {
  readonly code = 'temporal_unusable';
}

const PROBE_DEADLINE_MS = 5_000;

/**
 * Before NEXUS settles on a server that already listens at TEMPORAL_ADDRESS (another project's Temporal on 7233, or
 * not Temporal at all): it must speak Temporal's gRPC API and have NEXUS's namespace. Otherwise the worker would
 * retry forever on a protocol error, or poll a namespace that does not exist.
 */
export async function probeTemporal(temporal: Config['temporal']): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectionOptions(temporal), connectTimeout: PROBE_DEADLINE_MS });
    const conn = connection;
    await conn.withDeadline(Date.now() + PROBE_DEADLINE_MS, () => conn.workflowService.describeNamespace({ namespace: temporal.namespace }));
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/namespace.*not found|NOT_FOUND/i.test(message) && connection) {
      throw new TemporalProbeError(`the Temporal server at TEMPORAL_ADDRESS=${temporal.address} has no namespace "${temporal.namespace}"; create it (temporal operator namespace create ${temporal.namespace}) or set TEMPORAL_NAMESPACE`);
    }
    throw new TemporalProbeError(`something answers at TEMPORAL_ADDRESS=${temporal.address}, but not as a Temporal server NEXUS can use (${firstLine(message)}); stop it, or point TEMPORAL_ADDRESS at your Temporal server`);
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 160);
}
