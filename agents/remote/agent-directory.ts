import { z } from 'zod';
import type { AgentAnnouncement } from '../../contracts/index.js';
import type { Agent } from '../agent.js';
import { AgentError } from '../agent-error.js';

interface Entry {
  announcement: AgentAnnouncement;
  agent: Agent;
  expiresAt: number;
}

/**
 * Remote agents this process has heard announce themselves, each valid until its TTL runs out. The params schema
 * arrives as JSON Schema and becomes a zod schema, so the API validates remote params exactly like local ones.
 */
export class AgentDirectory {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  announce(announcement: AgentAnnouncement): void {
    const previous = this.entries.get(announcement.name);
    const sameSchema = previous && JSON.stringify(previous.announcement.params_schema) === JSON.stringify(announcement.params_schema);
    const agent: Agent = sameSchema && previous ? previous.agent : {
      name: announcement.name,
      description: announcement.description,
      params: z.fromJSONSchema(announcement.params_schema as Parameters<typeof z.fromJSONSchema>[0]),
      risk: announcement.risk_level,
      remote: true,
      summarize: () => ({ title: `Run remote agent ${announcement.name}`, description: announcement.description }),
      run: () => Promise.reject(new AgentError('agent_unavailable', 'remote agents run through nexus.tasks', false)),
    };
    this.entries.set(announcement.name, { announcement, agent, expiresAt: this.now() + announcement.ttl_seconds * 1000 });
  }

  get(name: string): Agent | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.expiresAt < this.now()) {
      this.entries.delete(name);
      return undefined;
    }
    return entry.agent;
  }

  list(): AgentAnnouncement[] {
    return [...this.entries.keys()].flatMap((name) => (this.get(name) ? [this.entries.get(name)?.announcement].filter((a): a is AgentAnnouncement => a !== undefined) : []));
  }
}
