import { describe, expect, it } from 'vitest';
import { RiskPolicy } from '../../contracts/index.js';
import { evaluatePolicy } from './evaluate-policy.js';

const policy = RiskPolicy.parse({
  rules: [
    { agent: 'external_share', when: { param: 'url', host_not_in: ['partner.example.org'] }, risk: 'RED', reason: 'share outside the allowlist' },
    { agent: '*', when: { param: 'recipients', count_gt: 2 }, risk: 'RED', reason: 'more than 2 recipients' },
    { agent: 'echo', when: { param: 'mode', equals: 'loud' }, risk: 'YELLOW', reason: 'loud echo' },
  ],
});

describe('evaluatePolicy', () => {
  it('raises risk only for the rules that match', () => {
    expect(evaluatePolicy(policy, { agent: 'echo', params: {} })).toEqual({ risk: 'GREEN', reasons: [] });
    expect(evaluatePolicy(policy, { agent: 'echo', params: { mode: 'loud' } }).risk).toBe('YELLOW');
    expect(evaluatePolicy(policy, { agent: 'echo', params: { recipients: ['a', 'b', 'c'], mode: 'loud' } })).toEqual({
      risk: 'RED',
      reasons: ['RED: more than 2 recipients', 'YELLOW: loud echo'],
    });
  });
  it('treats destinations by host, subdomains included, and unknown hosts as outside', () => {
    expect(evaluatePolicy(policy, { agent: 'external_share', params: { url: 'https://partner.example.org/x' } }).risk).toBe('GREEN');
    expect(evaluatePolicy(policy, { agent: 'external_share', params: { url: 'https://api.partner.example.org/x' } }).risk).toBe('GREEN');
    expect(evaluatePolicy(policy, { agent: 'external_share', params: { url: 'https://partner.example.org.evil.com/' } }).risk).toBe('RED');
    expect(evaluatePolicy(policy, { agent: 'external_share', params: { url: 'not a url' } }).risk).toBe('RED');
  });
  it('refuses policy files with unknown fields', () => {
    expect(RiskPolicy.safeParse({ rules: [{ agent: 'x', risk: 'RED', reason: 'r', extra: 1 }] }).success).toBe(false);
    expect(RiskPolicy.safeParse({ rules: [{ agent: 'x', risk: 'PURPLE', reason: 'r' }] }).success).toBe(false);
  });
});
