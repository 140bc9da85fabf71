import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { describe, expect, it } from 'vitest';
import { TEMPORAL_TRACE_HEADER } from '../../contracts/trace-header.js';

describe('the Temporal trace header', () => {
  it('is the one Temporal’s OpenTelemetry interceptors write and read, so workflows pass on what they need', () => {
    expect(TEMPORAL_TRACE_HEADER).toBe(TRACE_HEADER);
  });
});
