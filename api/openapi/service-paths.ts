import type { PathItem } from './openapi-types.js';
import { CORRELATION_ID } from './parameters.js';
import { RETRY_AFTER, error, html, json } from './responses.js';
import { ref } from './schemas.js';

/** Routes without a tenant: health, reference data, and the documents for people. */
export function servicePaths(): Record<string, PathItem> {
  return {
    '/health': {
      get: {
        operationId: 'getHealth',
        tags: ['service'],
        summary: 'Whether Redis, RabbitMQ and Temporal answer',
        responses: {
          '200': json('All dependencies answer', ref('HealthReport')),
          '503': { ...json('At least one dependency does not answer; `failed` names it', ref('HealthReport')), headers: { 'Retry-After': RETRY_AFTER } },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        tags: ['service'],
        summary: 'Prometheus metrics of this process',
        description:
          'Prometheus text (prom-client): commands, asks and decision latency, report relay lag, the bridge, the streams, HTTP by route template, ' +
          'the process, and in a worker process the Temporal core\'s own. Labelled by route, type and outcome, never by tenant, user or id.',
        responses: { '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/agents': {
      get: {
        operationId: 'listAgents',
        tags: ['service'],
        summary: 'The agent catalog, params as JSON Schema',
        responses: { '200': json('Every agent this install offers', ref('AgentCatalog')) },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        tags: ['service'],
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: { operationId: 'getDocs', tags: ['service'], summary: 'This document, readable', responses: { '200': html('A page listing the operations') } },
    },
    '/ui': {
      get: { operationId: 'getDashboard', tags: ['service'], summary: 'The dashboard', responses: { '200': html('The dashboard, driven only by the report stream') } },
    },
    '/ui/commands/{correlation_id}': {
      get: {
        operationId: 'getCommandPage',
        tags: ['service'],
        summary: 'The dashboard\'s detail view of one command',
        description: 'Every report of the command, its asks and decisions, the time spent waiting for approval and running; the tenant comes from `?org_id=&project_id=` or the last one used.',
        parameters: [CORRELATION_ID],
        responses: {
          '200': html('The dashboard page, which loads the command from the report stream'),
          '404': error(['not_found'], 'Not a correlation id (`[A-Za-z0-9_.:-]{1,128}`)'),
        },
      },
    },
  };
}
