import pkg from '../../package.json' with { type: 'json' };
import type { OpenApiDocument } from './openapi-types.js';
import { componentSchemas } from './schemas.js';
import { filePaths } from './file-paths.js';
import { linkPaths } from './link-paths.js';
import { servicePaths } from './service-paths.js';
import { tenantPaths } from './tenant-paths.js';
import { standingPaths } from './standing-paths.js';

export interface OpenApiOptions {
  /** The body limit the 413 answers name; from config, so the document says what this install enforces. */
  maxBodyBytes: number;
  maxUploadBytes?: number;
}

/**
 * The OpenAPI 3.1 document of the HTTP API. Every schema comes from `contracts/` through `z.toJSONSchema`,
 * so the document cannot drift from what the routes validate; the fuzz test (test/fuzz) checks the rest.
 */
export function buildOpenApi({ maxBodyBytes, maxUploadBytes = 5 * 1024 * 1024 }: OpenApiOptions): OpenApiDocument {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'NEXUS',
      version: pkg.version,
      description:
        'An agent supervisor. Commands and decisions answer `202 Accepted` with ids only; the state of everything is on the SSE report stream. ' +
        'Errors are `{"error":{"code","message","issues"}}`; an unreachable backend is a 503 with `Retry-After`.',
    },
    tags: [
      { name: 'commands', description: 'Start work' },
      { name: 'approvals', description: 'Decide on RED work' },
      { name: 'reports', description: 'Everything that happens, as a stream' },
      { name: 'auth', description: 'Stream tickets for browsers (see docs/auth.md)' },
      { name: 'service', description: 'Health, reference data and documents' },
    ],
    paths: { ...tenantPaths(maxBodyBytes), ...linkPaths(maxBodyBytes), ...standingPaths(maxBodyBytes), ...filePaths(maxUploadBytes), ...servicePaths() },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (`nxs_…`, from `npm run token -- create`); required when the server runs with NEXUS_AUTH=tokens.' },
        streamTicket: { type: 'apiKey', in: 'query', name: 'ticket', description: 'A stream ticket from `POST /auth/stream-ticket` (the stream only).' },
      },
    },
  };
}
