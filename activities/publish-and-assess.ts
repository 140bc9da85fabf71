import type { ActionAssessment, AssessActionInput, Report } from '../contracts/index.js';
import { withDeadline } from '../infra/deadline.js';
import type { Logger } from '../infra/logger.js';

/**
 * How long the first assessment may take before it is left to `assessAction` (and its bounded retries). Short of the
 * local activity's 30 s, so a slow preview never makes the reports, already sent, go out again.
 */
export const FIRST_ASSESSMENT_MS = 10_000;

export interface PublishAndAssessInput extends AssessActionInput {
  /** The reports that open the step (`command_accepted`, a plan's `task_progress`), published first. */
  reports: Report[];
}

/**
 * A command's first step in one local activity instead of two: its opening reports go out, then its action is
 * assessed, once. Publishing retries until RabbitMQ takes the reports, as `publishReports` does (the bridge stores a
 * report once, so a retried attempt repeats nothing on the stream). An assessment that fails or takes too long is
 * not retried here: the answer is null and the workflow asks `assessAction`, whose policy bounds the retries and
 * whose failure becomes the command's `task_failed`, exactly as before. So the common GREEN path costs one local
 * activity before the agent runs, and every failure keeps the semantics it had.
 */
export function createPublishAndAssess(deps: {
  publish: (reports: Report[]) => Promise<void>;
  assess: (input: AssessActionInput) => Promise<ActionAssessment>;
  logger: Logger;
  deadlineMs?: number;
}) {
  const deadlineMs = deps.deadlineMs ?? FIRST_ASSESSMENT_MS;
  return async function publishAndAssess({ reports, ...assessed }: PublishAndAssessInput): Promise<ActionAssessment | null> {
    await deps.publish(reports);
    const { action } = assessed;
    try {
      return await withDeadline(deps.assess(assessed), deadlineMs, () => new Error(`the assessment took more than ${deadlineMs} ms`));
    } catch (err) {
      deps.logger.info({ correlation_id: reports[0]?.correlation_id, agent: action.agent, err: (err as Error).message }, 'first assessment failed; assessing again with retries');
      return null;
    }
  };
}
