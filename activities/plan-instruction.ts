import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AgentRegistry } from '../agents/registry.js';
import type { FileInfo, Plan, PlanRequest } from '../contracts/index.js';
import type { BlobStore } from '../infra/files/blob-store.js';
import type { Logger } from '../infra/logger.js';
import type { LlmRouter } from '../infra/llm/llm-router.js';
import { LlmCallError } from '../infra/llm/llm-types.js';
import { attachmentNote } from './planning/attachment-note.js';
import { InstructionPlanner, PlanInvalidError } from './planning/instruction-planner.js';
import { ACTIVITY_FAILURES } from '../contracts/index.js';

/** The LLM is called only here, with the SDKs' retries off: this activity's retry policy owns retries. */
export function createPlanInstruction(deps: { llm: LlmRouter; agents: AgentRegistry; planAttempts: number; blobStore: BlobStore; logger: Logger }) {
  const planner = new InstructionPlanner(deps.llm, deps.agents, deps.planAttempts);
  return async function planInstruction(request: PlanRequest & { correlation_id: string }): Promise<Plan> {
    if (!deps.llm.configured) {
      throw ApplicationFailure.create({
        type: ACTIVITY_FAILURES.llmUnavailable,
        message: 'plain-language instructions need an LLM provider; set ANTHROPIC_API_KEY (or OPENAI_API_KEY / GEMINI_API_KEY)',
        nonRetryable: true,
      });
    }
    // The files are described once, in the first message; a revision's transcript already holds it.
    const text = request.attachments && !request.transcript
      ? `${request.text}\n\n${attachmentNote(await attachedFiles(deps.blobStore, request.attachments))}`
      : request.text;
    try {
      const plan = await planner.plan({ ...request, text }, Context.current().cancellationSignal, request.correlation_id);
      deps.logger.info({ correlation_id: request.correlation_id, provider: plan.usage.provider, model: plan.usage.model, calls: plan.calls.length }, 'plan ready');
      return plan;
    } catch (err) {
      if (err instanceof PlanInvalidError) {
        throw ApplicationFailure.create({ type: ACTIVITY_FAILURES.planInvalid, message: err.message, nonRetryable: true });
      }
      if (err instanceof LlmCallError) {
        // Retryable provider failures (429, 5xx, timeouts on every provider) are retried by the activity policy.
        throw ApplicationFailure.create({
          type: err.retryable ? ACTIVITY_FAILURES.llmUnavailable : ACTIVITY_FAILURES.llmError,
          message: err.message,
          nonRetryable: !err.retryable,
          details: [{ retryable: err.retryable }],
        });
      }
      throw err;
    }
  };
}

/** Read in the command's own tenant: an id of another tenant's file names nothing here. */
async function attachedFiles(store: BlobStore, attachments: NonNullable<PlanRequest['attachments']>): Promise<FileInfo[]> {
  const metas = await Promise.all(attachments.file_ids.map((id) => store.meta(attachments.tenant, id)));
  const missing = attachments.file_ids.filter((_, i) => metas[i] === undefined);
  if (missing.length > 0) {
    throw ApplicationFailure.create({ type: ACTIVITY_FAILURES.fileNotFound, message: `no file ${missing.join(', ')} in this project`, nonRetryable: true });
  }
  return metas.filter((meta): meta is FileInfo => meta !== undefined);
}
