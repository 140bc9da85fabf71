import { ApprovalLinkToken } from '../../contracts/index.js';
import type { Parameter, PathItem, Response } from './openapi-types.js';
import { ASK_ID, TENANT_HEADERS } from './parameters.js';
import { authErrors, bodyErrors, error, json, RETRY_AFTER, unavailable } from './responses.js';
import { jsonSchema, ref } from './schemas.js';
import { BEARER } from './tenant-paths.js';


const LINK: Parameter = {
  name: 'link',
  in: 'path',
  required: true,
  description: 'The link from `POST /approvals/{ask_id}/links` (`<id>.<signature>`). It is the only credential: keep it like a password.',
  schema: jsonSchema(ApprovalLinkToken, 'input'),
};

/** A link's answers are a page for a browser and JSON for a program that asks for it (`Accept`) or posts JSON. */
function pageOr(description: string, schema: ReturnType<typeof ref>): Response {
  return { description, content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema } } };
}
function refusal(codes: string[], why: string): Response {
  return pageOr(`${why} (\`error.code\`: ${codes.map((c) => `\`${c}\``).join(', ')})`, ref('ApiErrorBody'));
}
function retryLater(codes: string[], why: string): Response {
  return { ...refusal(codes, why), headers: { 'Retry-After': RETRY_AFTER } };
}

const LINK_REFUSALS: Record<string, Response> = {
  '403': refusal(['forbidden'], "The link's approver may no longer decide here (their token was revoked, or lost the role or the project)"),
  '404': refusal(['link_invalid'], 'Not a link NEXUS made and keeps: unknown, altered, or its record changed since it was signed'),
  '409': refusal(['ask_not_pending', 'digest_mismatch'], 'The ask was decided already (the message says how and by whom) or closed'),
  '410': refusal(['link_used', 'link_expired'], 'The link decided once already, or expired with its ask'),
  '429': retryLater(['rate_limited'], 'Too many refused link requests from this address this minute'),
  '503': retryLater(['backend_unavailable'], 'Redis or Temporal did not answer; nothing was decided, open the link again later'),
};

/** Approval links: made by an approver or admin, used by whoever holds one, with no login. */
export function linkPaths(maxBodyBytes: number): Record<string, PathItem> {
  return {
    '/approvals/{ask_id}/links': {
      post: {
        operationId: 'issueApprovalLinks',
        tags: ['approvals'],
        summary: 'Make single-use approval links',
        description:
          'One link per approver (default: the caller; only an admin may name others, each a live token with the approver or admin role in ' +
          'this project). Each link is bound to the ask, its action digest, its approver and their roles, expires with the ask and decides ' +
          'once. `url` starts with PUBLIC_URL. Every link made is audited.',
        parameters: [...TENANT_HEADERS, ASK_ID],
        security: BEARER,
        requestBody: { required: true, content: { 'application/json': { schema: ref('ApprovalLinksRequest'), example: {} } } },
        responses: {
          '201': json('The links, one per approver', ref('ApprovalLinksIssued')),
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request'], 'Bad input, or an approver who cannot decide in this project (named in `issues`)'),
          ...authErrors('`approver` or `admin`; an admin to name other approvers', 'the per-org rate limit, or after too many unknown ask ids in a minute'),
          '404': error(['not_found'], 'No such ask in this tenant'),
          '409': error(['ask_not_pending'], 'The ask can no longer be decided'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Redis'),
        },
      },
    },
    '/approve/{link}': {
      get: {
        operationId: 'openApprovalLink',
        tags: ['approvals'],
        summary: "An approval link's page",
        description: 'Shows the ask (NEXUS\'s facts first, then the planner\'s words) and a form to approve or deny. Decides nothing, however often it is opened. Audited.',
        parameters: [LINK],
        responses: { '200': pageOr('The page, or its content as JSON', ref('ApprovalLinkView')), ...LINK_REFUSALS },
      },
      post: {
        operationId: 'decideByLink',
        tags: ['approvals'],
        summary: 'Approve or deny through a link',
        description:
          'The confirmation the page posts (form fields or JSON): decided as the approver the link was signed for, bound to the digest it was ' +
          'signed with, through the same path as `POST /approvals/{ask_id}/decide`. A refused attempt leaves the link usable; an accepted one uses it up.',
        parameters: [LINK],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: ref('LinkDecisionRequest') },
            'application/json': { schema: ref('LinkDecisionRequest'), example: { decision: 'approve' } },
          },
        },
        responses: {
          '202': pageOr('Accepted: the workflow recorded the decision; the outcome is on the report stream', ref('DecideAccepted')),
          '400': refusal(['invalid_json', 'invalid_request'], 'Not exactly one `decision` (and an optional `reason`)'),
          ...LINK_REFUSALS,
          '409': refusal(['ask_not_pending', 'digest_mismatch', 'conflict'], 'The ask was decided already or closed, or a decision with this link is being recorded (`conflict`: open it again in a moment)'),
          '413': refusal(['payload_too_large'], `The body is larger than ${maxBodyBytes} bytes`),
          '415': refusal(['unsupported_media_type'], 'The body was neither the form nor JSON'),
        },
      },
    },
  };
}
