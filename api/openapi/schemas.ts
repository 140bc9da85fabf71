import { z } from 'zod';
import {
  AgentCatalog,
  ApprovalLinksIssued,
  ApprovalLinksRequest,
  ApprovalLinkView,
  BatchDecideAccepted,
  BatchDecideRequest,
  LinkDecisionRequest,
  AgentPreviewAnswer,
  AgentPreviewRequest,
  ApiErrorBody,
  CancelRequest,
  CommandAccepted,
  CommandRequest,
  DecideAccepted,
  DecideRequest,
  FileInfo,
  FileList,
  GapEvent,
  HealthReport,
  LiveEvent,
  PageEndEvent,
  Report,
  RerunRequest,
  StandingApprovalList,
  StandingApprovalNote,
  StandingApprovalRequest,
  StandingApprovalView,
} from '../../contracts/index.js';
import type { JsonSchema } from './openapi-types.js';

/**
 * Request bodies are converted with `io: 'input'` (what a client may send: a field with a default is optional),
 * everything the server sends with `io: 'output'`.
 */
const COMPONENTS = {
  CommandRequest: [CommandRequest, 'input'],
  CommandAccepted: [CommandAccepted, 'output'],
  CancelRequest: [CancelRequest, 'input'],
  RerunRequest: [RerunRequest, 'input'],
  DecideRequest: [DecideRequest, 'input'],
  DecideAccepted: [DecideAccepted, 'output'],
  BatchDecideRequest: [BatchDecideRequest, 'input'],
  BatchDecideAccepted: [BatchDecideAccepted, 'output'],
  ApiErrorBody: [ApiErrorBody, 'output'],
  ApprovalLinksRequest: [ApprovalLinksRequest, 'input'],
  ApprovalLinksIssued: [ApprovalLinksIssued, 'output'],
  ApprovalLinkView: [ApprovalLinkView, 'output'],
  LinkDecisionRequest: [LinkDecisionRequest, 'input'],
  HealthReport: [HealthReport, 'output'],
  AgentCatalog: [AgentCatalog, 'output'],
  Report: [Report, 'output'],
  GapEvent: [GapEvent, 'output'],
  LiveEvent: [LiveEvent, 'output'],
  PageEndEvent: [PageEndEvent, 'output'],
  AgentPreviewRequest: [AgentPreviewRequest, 'input'],
  AgentPreviewAnswer: [AgentPreviewAnswer, 'output'],
  FileInfo: [FileInfo, 'output'],
  FileList: [FileList, 'output'],
  StandingApprovalRequest: [StandingApprovalRequest, 'input'],
  StandingApprovalNote: [StandingApprovalNote, 'input'],
  StandingApprovalView: [StandingApprovalView, 'output'],
  StandingApprovalList: [StandingApprovalList, 'output'],
} as const satisfies Record<string, readonly [z.ZodType, 'input' | 'output']>;

export type ComponentName = keyof typeof COMPONENTS;

/**
 * One contract as JSON Schema draft 2020-12, which is OpenAPI 3.1's own dialect (the `openapi-3.0` target
 * would be wrong here: it rewrites `null` and `const` for 3.0). The `$schema` line is dropped because the
 * document declares the dialect once.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as JsonSchema;
  return rest;
}

export function componentSchemas(): Record<ComponentName, JsonSchema> {
  const entries = Object.entries(COMPONENTS).map(([name, [schema, io]]) => [name, jsonSchema(schema, io)]);
  return Object.fromEntries(entries) as Record<ComponentName, JsonSchema>;
}

export function ref(name: ComponentName): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}
