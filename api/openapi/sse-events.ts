import type { JsonSchema } from './openapi-types.js';
import { ref, type ComponentName } from './schemas.js';

/** Each event the report stream sends, and the component its `data` is the JSON of. */
export const SSE_EVENTS = {
  report: 'Report',
  gap: 'GapEvent',
  live: 'LiveEvent',
  end: 'PageEndEvent',
  error: 'ApiErrorBody',
} as const satisfies Record<string, ComponentName>;

/**
 * One event of the stream as an SSE parser reads it (`event`, `id`, `data`; comments and a bare `retry:` carry no
 * data and are no event). OpenAPI 3.1 has no `itemSchema`, so this is the media type's `schema`, which is what
 * schemathesis validates each parsed event against there; `data` is a JSON string whose shape `contentSchema` names.
 */
export function sseEventSchema(): JsonSchema {
  return {
    oneOf: Object.entries(SSE_EVENTS).map(([event, component]) => ({
      type: 'object',
      required: event === 'report' ? ['event', 'id', 'data'] : ['event', 'data'],
      properties: {
        event: { const: event },
        id: { type: 'string', pattern: '^[0-9]+-[0-9]+$', description: 'The Redis stream id of a report (send it back as `Last-Event-ID` / `cursor`)' },
        data: { type: 'string', contentMediaType: 'application/json', contentSchema: ref(component) },
        retry: { type: 'integer' },
      },
    })),
  };
}

export function sseEventComponents(): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(SSE_EVENTS).map(([event, component]) => [event, ref(component)]));
}
