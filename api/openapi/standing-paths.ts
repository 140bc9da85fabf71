import { StandingApprovalId } from '../../contracts/index.js';
import type { Operation, Parameter, PathItem } from './openapi-types.js';
import { TENANT_HEADERS } from './parameters.js';
import { authErrors, bodyErrors, error, json, unavailable } from './responses.js';
import { jsonSchema, ref } from './schemas.js';
import { BEARER } from './tenant-paths.js';

const ID: Parameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'A `standing_approval_id`. One that is not, or one whose record NEXUS did not sign, answers 404 like an unknown one.',
  schema: jsonSchema(StandingApprovalId, 'input'),
};

const NOTE = { required: false, content: { 'application/json': { schema: ref('StandingApprovalNote'), example: { reason: 'the portal moved' } } } };

function change(operationId: string, summary: string, description: string, roles: string, maxBodyBytes: number): Operation {
  return {
    operationId,
    tags: ['standing approvals'],
    summary,
    description,
    parameters: [...TENANT_HEADERS, ID],
    security: BEARER,
    requestBody: NOTE,
    responses: {
      '200': json('The standing approval as it is now', ref('StandingApprovalView')),
      '400': error(['invalid_tenant', 'invalid_json', 'invalid_request'], 'Bad input'),
      ...authErrors(roles, 'the per-org rate limit, or after too many unknown ids in a minute'),
      '404': error(['not_found'], 'No such standing approval in this tenant'),
      '409': error(['conflict'], 'Not possible in its state (revoked, expired, approved by you already)'),
      ...bodyErrors(maxBodyBytes),
      '503': unavailable('Redis, or a valid policy file'),
    },
  };
}

/** Standing approvals: approving matching RED actions ahead of time, under the policy's quorum and separation of duties. */
export function standingPaths(maxBodyBytes: number): Record<string, PathItem> {
  const read = { parameters: TENANT_HEADERS, security: BEARER, tags: ['standing approvals'] };
  return {
    '/standing-approvals': {
      post: {
        operationId: 'createStandingApproval',
        tags: ['standing approvals'],
        summary: 'Approve matching actions ahead of time',
        description:
          'An approver approves one exact action (`match.action_digest`, as an ask shows it) or every action of the agent whose named params hold ' +
          'exactly the given values (`match.params`), for `expires_in` or until revoked (a policy\'s `approval.standing_max_ttl` requires a limit). ' +
          'Later RED asks it covers are approved without asking anyone: `ask_resolved` carries `standing_approval_id`. It is `pending` until the ' +
          "policy's quorum of distinct approvers approved it (under separation of duties its creator does not count), and never approves a command " +
          'requested by one of its people when separation of duties holds. Answers 201 when stored: nothing is left to a workflow. Audited.',
        parameters: TENANT_HEADERS,
        security: BEARER,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('StandingApprovalRequest'), example: { agent: 'external_share', match: { params: { url: 'https://portal.school.example/grades' } }, expires_in: '30d', reason: 'grades go to the school portal every week' } } },
        },
        responses: {
          '201': { ...json('Stored; `Location` names it', ref('StandingApprovalView')), headers: { Location: { description: '`/standing-approvals/{id}`', schema: { type: 'string' } } } },
          '400': error(['invalid_tenant', 'invalid_json', 'invalid_request', 'unknown_agent'], 'Bad input, an empty pattern, or an expiry the policy does not allow'),
          ...authErrors('`approver`; also 403 when this project\'s policy turned standing approvals off'),
          '409': error(['conflict'], 'This project has the most standing approvals it may have; revoke some first'),
          ...bodyErrors(maxBodyBytes),
          '503': unavailable('Redis, or a valid policy file'),
        },
      },
      get: {
        ...read,
        operationId: 'listStandingApprovals',
        summary: 'Standing approvals of a project',
        description: 'Every one NEXUS keeps (revoked and expired ones for 30 days after), oldest first, with its status, approvals and uses.',
        parameters: [...TENANT_HEADERS, { name: 'status', in: 'query', required: false, description: 'Only these (default `all`)', schema: { type: 'string', enum: ['pending', 'active', 'revoked', 'expired', 'all'] } }],
        responses: {
          '200': json('The list', ref('StandingApprovalList')),
          '400': error(['invalid_tenant', 'invalid_request'], 'Bad tenant or status'),
          ...authErrors('any role'),
          '503': unavailable('Redis, or a valid policy file'),
        },
      },
    },
    '/standing-approvals/{id}': {
      get: {
        ...read,
        operationId: 'getStandingApproval',
        summary: 'One standing approval',
        parameters: [...TENANT_HEADERS, ID],
        responses: {
          '200': json('The standing approval', ref('StandingApprovalView')),
          '400': error(['invalid_tenant'], 'Bad tenant'),
          ...authErrors('any role', 'after too many unknown ids in a minute'),
          '404': error(['not_found'], 'No such standing approval in this tenant'),
          '503': unavailable('Redis, or a valid policy file'),
        },
      },
    },
    '/standing-approvals/{id}/approve': {
      post: change('approveStandingApproval', 'Add your approval to a pending standing approval',
        'Another approver\'s approval, toward the policy\'s quorum; 403 for its creator under separation of duties, 409 when you approved it already.', '`approver`', maxBodyBytes),
    },
    '/standing-approvals/{id}/revoke': {
      post: change('revokeStandingApproval', 'Revoke a standing approval',
        'From now on it approves nothing, and a step already on its way with it is refused where the effect happens. Revoking again answers the same.', '`approver` or `admin`', maxBodyBytes),
    },
  };
}
