import { z } from 'zod';
import type { AgentDescriptor, RiskLevel } from '../contracts/index.js';
import type { Agent, AgentPreview, PreviewContext } from './agent.js';
import { echoAgent } from './echo/echo-agent.js';
import { createExternalShareAgent, type ExternalShareOptions } from './external-share/external-share-agent.js';
import { ShareAllowlist } from './external-share/share-allowlist.js';
import { createStudentExcelKakaoAgent, type StudentKakaoDeps } from './student-excel-kakao/student-excel-kakao-agent.js';
import { DeliveryLedger } from './student-excel-kakao/delivery-ledger.js';
import { createReportSummarizeAgent, type ResultLookup } from './report-summarize/report-summarize-agent.js';
import type { Redis } from 'ioredis';

/** Where remote agents that announced themselves are found (see agents/remote/agent-directory.ts). */
export interface RemoteAgentSource {
  get(name: string): Agent | undefined;
  list(): Array<{ name: string; description: string; risk_level: RiskLevel; params_schema: Record<string, unknown> }>;
}

/** The agents one install offers; the API validates params with it, the worker runs from it. */
export class AgentRegistry {
  private readonly agents = new Map<string, Agent>();
  private remote: RemoteAgentSource | undefined;

  constructor(agents: readonly Agent[]) {
    for (const agent of agents) this.agents.set(agent.name, agent);
  }

  /** Local agents win over a remote one of the same name: an announcement cannot shadow a built-in agent. */
  useRemoteAgents(source: RemoteAgentSource): void {
    this.remote = source;
  }

  get(name: string): Agent | undefined {
    return this.agents.get(name) ?? this.remote?.get(name);
  }

  declaredRisk(agent: Agent, params: unknown): RiskLevel {
    return typeof agent.risk === 'function' ? agent.risk(params) : agent.risk;
  }

  /** What an approver is shown: the agent's own preview (it may read data), its summary, or its description. */
  async preview(agent: Agent, params: unknown, ctx: PreviewContext): Promise<AgentPreview> {
    if (agent.preview) return agent.preview(params, ctx);
    return agent.summarize?.(params) ?? { title: `Run ${agent.name}`, description: agent.description };
  }

  catalog(): AgentDescriptor[] {
    const local = [...this.agents.values()].map((agent) => ({
      name: agent.name,
      description: agent.description,
      ...(agent.descriptions ? { descriptions: { ...agent.descriptions } } : {}),
      risk_level: typeof agent.risk === 'function' ? 'RED' as const : agent.risk,
      // What a client may send: a param with a default is optional, and the default is named.
      params_schema: z.toJSONSchema(agent.params, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>,
    }));
    const remote = (this.remote?.list() ?? []).filter((a) => !this.agents.has(a.name));
    return [...local, ...remote.map(({ name, description, risk_level, params_schema }) => ({ name, description, risk_level, params_schema }))];
  }
}

export interface BuiltInAgentOptions {
  shareAllowlist: readonly string[];
  share?: ExternalShareOptions;
  /**
   * `student.excel_kakao`: the blob store uploads live in and SENS settings; `ledgerRedis` (worker only) keeps its
   * exactly-once delivery ledger.
   */
  studentKakao: Omit<StudentKakaoDeps, 'ledger'> & { ledgerRedis?: { redis: Redis; prefix: string } | undefined };
  /** `report.summarize`: reads an earlier command's result (the runtime hands in a Temporal-backed lookup). */
  lookupResult: ResultLookup;
}

export function builtInAgents({ shareAllowlist, share, studentKakao, lookupResult }: BuiltInAgentOptions): Agent[] {
  const { ledgerRedis, ...kakao } = studentKakao;
  return [
    echoAgent as Agent,
    createExternalShareAgent(new ShareAllowlist(shareAllowlist), share) as Agent,
    createStudentExcelKakaoAgent({ ...kakao, ledger: ledgerRedis ? new DeliveryLedger(ledgerRedis.redis, ledgerRedis.prefix) : undefined }) as Agent,
    createReportSummarizeAgent(lookupResult) as Agent,
  ];
}
