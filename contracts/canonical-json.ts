/**
 * JSON with object keys sorted at every level, so two equal values always serialise to the same bytes.
 * The action digest an approver sees and the idempotency check on command bodies both hash this form.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // No prototype: a `__proto__` key (JSON.parse makes it an own property) is kept as data, not taken as a
    // prototype and dropped, which would let hidden data ride under an approved digest.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
