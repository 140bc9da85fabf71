/**
 * The slice of the OpenAPI 3.1 object model this document uses. Hand-written (a few lines) rather than a
 * dependency: the document is built from zod contracts, so only its skeleton needs types.
 */
export type JsonSchema = Record<string, unknown>;

export interface MediaType {
  schema: JsonSchema;
  example?: unknown;
  /** SSE has no schema keyword in 3.1 (3.2's `itemSchema` is not allowed yet): the event schemas go here. */
  'x-sse-events'?: Record<string, JsonSchema>;
}

export interface Header {
  description: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface Response {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: 'header' | 'query' | 'path';
  required: boolean;
  description: string;
  schema: JsonSchema;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, MediaType> };
  responses: Record<string, Response>;
  security?: Array<Record<string, string[]>>;
}

export type PathItem = Partial<Record<'get' | 'post', Operation>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, Record<string, unknown>> };
}
