import type { ReportOf } from './report.js';

type AskResolved = ReportOf<'ask_resolved'>['payload'];

/**
 * An ask NEXUS ended without anyone's decision, because its plan or its command ended first: a deny by `nexus`,
 * marked withdrawn, its reason saying why. One shape for the workflow (a plan's other asks) and the API (a command
 * stopped in Temporal); zod-free, so the workflow bundle can carry it.
 */
export function withdrawnAsk(askId: string, why: string, decisions?: AskResolved['decisions']): AskResolved {
  return { ask_id: askId, decision: 'deny', decided_by: 'nexus', reason: `withdrawn: ${why}`, withdrawn: true, ...(decisions ? { decisions } : {}) };
}
