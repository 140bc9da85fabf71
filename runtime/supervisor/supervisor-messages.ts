import type { MetricsPart } from '../../infra/metrics/metrics-text.js';

/**
 * What `./nexus start` and its role processes say to each other over the IPC channel Node opens between them. Only
 * a process NEXUS spawned has that channel; nothing here crosses a network.
 * - `ready`: a role process has started (child to supervisor).
 * - `metrics-request`: an API asks for its siblings' metrics (child to supervisor), or the supervisor asks a role
 *   process for its own (supervisor to child).
 * - `metrics-reply`: the answer, under the request's id.
 */
export type SupervisorMessage =
  | { kind: 'ready' }
  | { kind: 'metrics-request'; id: number }
  | { kind: 'metrics-reply'; id: number; parts: MetricsPart[] };

export function isSupervisorMessage(value: unknown): value is SupervisorMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, id, parts } = value as Record<string, unknown>;
  if (kind === 'ready') return true;
  if (kind === 'metrics-request') return typeof id === 'number';
  return kind === 'metrics-reply' && typeof id === 'number' && Array.isArray(parts);
}

/** How long an API's `/metrics` waits for the other role processes before it answers with what it has. */
export const SIBLING_METRICS_TIMEOUT_MS = 2_000;
