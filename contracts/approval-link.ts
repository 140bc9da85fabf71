import { z } from 'zod';
import { AskId, Decision } from './ask.js';
import { ClientKey } from './ids.js';
import { Tenant } from './tenant.js';

/** Approvers one request may make links for: one per person an ask goes out to. */
export const MAX_LINKS_PER_REQUEST = 20;

/**
 * A link's secret part as it appears in `/approve/{link}`: a random id and the NEXUS signature over the link's whole
 * record (`<22 base64url>.<43 base64url>`). Anything else is not a link NEXUS made.
 */
export const ApprovalLinkToken = z.string().regex(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/, 'must be an approval link');
export type ApprovalLinkToken = z.infer<typeof ApprovalLinkToken>;

/** The body of `POST /approvals/{ask_id}/links`: whom the links are for (default: the caller). */
export const ApprovalLinksRequest = z.strictObject({
  approvers: z.array(ClientKey).min(1).max(MAX_LINKS_PER_REQUEST).optional(),
});
export type ApprovalLinksRequest = z.infer<typeof ApprovalLinksRequest>;

export const ApprovalLinkIssued = z.object({
  approver: ClientKey,
  /** The roles the link decides with: the approver's own, as NEXUS knew them when it made the link. */
  roles: z.array(z.string()),
  /** The whole address to send the approver (from PUBLIC_URL); `path` is the same without the origin. */
  url: z.string(),
  path: z.string(),
  expires_at: z.iso.datetime(),
});
export type ApprovalLinkIssued = z.infer<typeof ApprovalLinkIssued>;

/** The 201 answer: one link per approver, each usable once, until the ask expires. */
export const ApprovalLinksIssued = z.object({
  ask_id: AskId,
  action_digest: z.string(),
  links: z.array(ApprovalLinkIssued),
});
export type ApprovalLinksIssued = z.infer<typeof ApprovalLinksIssued>;

/**
 * What NEXUS keeps for a link (and signs, field for field): the ask, the action it shows, who decides with it and
 * until when. Nothing here comes from whoever opens the link.
 */
export const ApprovalLinkRecord = z.strictObject({
  link_id: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  key_id: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
  tenant: Tenant,
  ask_id: AskId,
  action_digest: z.string(),
  approver: ClientKey,
  roles: z.array(z.string().max(32)).max(8),
  /** `token` when the approver is an API token (checked again when the link is used), `local` in local mode. */
  approver_kind: z.enum(['token', 'local']),
  issued_by: z.string().max(200),
  issued_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
});
export type ApprovalLinkRecord = z.infer<typeof ApprovalLinkRecord>;

/** The confirmation a link's page posts (form fields or JSON): the decision is the approver's, nothing else is. */
export const LinkDecisionRequest = z.strictObject({
  decision: Decision,
  reason: z.string().max(2000).optional(),
});
export type LinkDecisionRequest = z.infer<typeof LinkDecisionRequest>;

/** `GET /approve/{link}` for a program (`Accept: application/json`): what the page shows. */
export const ApprovalLinkView = z.object({
  ask_id: AskId,
  approver: ClientKey,
  roles: z.array(z.string()),
  expires_at: z.iso.datetime(),
  action_digest: z.string(),
  /** The payload of the ask's `ask_created` report, as NEXUS stored it. */
  ask: z.record(z.string(), z.unknown()),
});
export type ApprovalLinkView = z.infer<typeof ApprovalLinkView>;
