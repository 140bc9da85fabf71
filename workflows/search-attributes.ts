// @temporalio/workflow does not re-export these two; @temporalio/common is the deterministic package it is built on.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Keyword search attributes so `temporal workflow list --query "NexusCorrelationId='…'"` finds any command. */
export const SEARCH_ATTRIBUTES = {
  correlationId: defineSearchAttributeKey('NexusCorrelationId', SearchAttributeType.KEYWORD),
  orgId: defineSearchAttributeKey('NexusOrgId', SearchAttributeType.KEYWORD),
  projectId: defineSearchAttributeKey('NexusProjectId', SearchAttributeType.KEYWORD),
  riskLevel: defineSearchAttributeKey('NexusRiskLevel', SearchAttributeType.KEYWORD),
  commandType: defineSearchAttributeKey('NexusCommandType', SearchAttributeType.KEYWORD),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SEARCH_ATTRIBUTES);
