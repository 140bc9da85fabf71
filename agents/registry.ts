import { z } from 'zod';
import type { AgentDescriptor, RiskLevel } from '../contracts/index.js';
import type { Agent } from './agent.js';
import { echoAgent } from './echo/echo-agent.js';
import { createExternalShareAgent } from './external-share/external-share-agent.js';
import { ShareAllowlist } from './external-share/share-allowlist.js';

/** The agents one install offers; the API validates params with it, the worker runs from it. */
export class AgentRegistry {
  private readonly agents = new Map<string, Agent>();

  constructor(agents: readonly Agent[]) {
    for (const agent of agents) this.agents.set(agent.name, agent);
  }

  get(name: string): Agent | undefined {
    return this.agents.get(name);
  }

  /** Like `get`, but may look further (remote agents announce themselves at run time). */
  async resolve(name: string): Promise<Agent | undefined> {
    return this.agents.get(name);
  }

  declaredRisk(agent: Agent, params: unknown): RiskLevel {
    return typeof agent.risk === 'function' ? agent.risk(params) : agent.risk;
  }

  catalog(): AgentDescriptor[] {
    return [...this.agents.values()].map((agent) => ({
      name: agent.name,
      description: agent.description,
      risk_level: typeof agent.risk === 'function' ? 'RED' : agent.risk,
      params_schema: z.toJSONSchema(agent.params, { unrepresentable: 'any' }) as Record<string, unknown>,
    }));
  }
}

export interface BuiltInAgentOptions {
  shareAllowlist: readonly string[];
}

export function builtInAgents({ shareAllowlist }: BuiltInAgentOptions): Agent[] {
  return [echoAgent as Agent, createExternalShareAgent(new ShareAllowlist(shareAllowlist)) as Agent];
}
