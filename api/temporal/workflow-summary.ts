import type { CommandInput } from '../../contracts/index.js';

/** A readable summary and details for the Temporal Web UI, so an operator can tell commands apart at a glance. */
export function workflowSummary(input: CommandInput): { staticSummary: string; staticDetails: string } {
  const { request, tenant } = input;
  const what = request.type === 'agent.run' ? `agent ${request.agent}` : `instruction "${truncate(request.text, 60)}"`;
  return {
    staticSummary: `NEXUS ${what} for ${tenant.org_id}/${tenant.project_id}`,
    staticDetails: [
      `**correlation_id**: ${input.correlation_id}`,
      `**command_id**: ${input.command_id}`,
      `**type**: ${request.type}`,
      request.risk_level ? `**risk floor**: ${request.risk_level}` : '**risk floor**: none (policy decides)',
    ].join('\n\n'),
  };
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
