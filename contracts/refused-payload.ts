// Zod-free on purpose: the workflow bundle imports it, and it is re-evaluated for every workflow run.

/**
 * Why the payload codec refused a payload: not encrypted at all, encrypted under a key id the ring does not hold,
 * or altered (its authentication tag does not match).
 */
export type PayloadRefusalReason = 'plaintext' | 'key_unknown' | 'tampered';

export interface PayloadRefusal {
  reason: PayloadRefusalReason;
  /** The encoding the payload claimed (plaintext only), so an operator sees what was sent. */
  encoding?: string;
  key_id?: string;
}

/**
 * The value the codec hands on in place of a payload it refuses. The codec never throws on decode: a throw fails
 * the whole workflow activation, and for a signal (written to history before any worker sees it) that would stop
 * the workflow for good on every replay. Who receives the value refuses it where it arrives: the workflow and
 * activity payload guards, the API's memo checks, the Web UI through the codec endpoint.
 */
export interface RefusedPayload {
  nexus_refused_payload: PayloadRefusal;
}

export function refusedPayload(refusal: PayloadRefusal): RefusedPayload {
  return { nexus_refused_payload: refusal };
}

export function isRefusedPayload(value: unknown): value is RefusedPayload {
  return typeof value === 'object' && value !== null && 'nexus_refused_payload' in value;
}

/** The first refusal among decoded arguments or results, if any. */
export function refusalAmong(values: readonly unknown[]): PayloadRefusal | undefined {
  return values.find(isRefusedPayload)?.nexus_refused_payload;
}

export function describeRefusal(what: string, refusal: PayloadRefusal): string {
  const why = refusal.reason === 'plaintext'
    ? `was not encrypted with a NEXUS payload key (encoding ${refusal.encoding ?? 'none'})`
    : refusal.reason === 'key_unknown'
      ? `is encrypted under a key NEXUS does not hold (${refusal.key_id ?? 'no key id'})`
      : 'failed its integrity check (altered or truncated)';
  return `${what} ${why}; refused`;
}
