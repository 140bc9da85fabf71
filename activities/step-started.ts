import { reportEnvelope, type Report, type RunAgentInput } from '../contracts/index.js';

/**
 * The command's `task_started`, built by the activity that is about to act, from its authorized input and the seq its
 * workflow set aside: it is on the stream before the agent does anything, and only once the step may act (after the
 * approval, for a RED action). A retried attempt builds the same report id, which the bridge stores once.
 */
export function stepStartedReport(input: RunAgentInput): Report | undefined {
  if (input.start_seq === undefined) return undefined;
  return { ...reportEnvelope(input, input.start_seq, new Date().toISOString()), report_type: 'task_started', payload: { agent: input.agent } };
}
