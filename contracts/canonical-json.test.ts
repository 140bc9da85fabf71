import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth so equal values serialise identically', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
  it('keeps array order and drops undefined like JSON does', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });

  it('keeps a __proto__ key as data: hidden data under it changes the digest', () => {
    const plain = JSON.parse('{"payload":{"grades":[1]}}') as unknown;
    const hidden = JSON.parse('{"payload":{"grades":[1],"__proto__":{"ssn":"900101-1234567"}}}') as unknown;
    expect(canonicalJson(hidden)).not.toBe(canonicalJson(plain));
    expect(canonicalJson(hidden)).toBe('{"payload":{"__proto__":{"ssn":"900101-1234567"},"grades":[1]}}');
  });
});
