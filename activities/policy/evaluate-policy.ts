import { isIP } from 'node:net';
import { maxRisk, quorumFor, type Action, type ApprovalRequirements, type PolicyCondition, type PolicyVerdict, type RiskPolicy } from '../../contracts/index.js';
import { parseDuration } from '../../contracts/duration.js';
import { notifyTargetId } from '../notify/notify-target-id.js';

/** Applies every matching rule; the verdict is the highest risk among them (GREEN when none match). */
export function evaluatePolicy(policy: RiskPolicy, action: Action): PolicyVerdict {
  const reasons: string[] = [];
  let risk = maxRisk();
  for (const rule of policy.rules) {
    if (rule.agent !== '*' && rule.agent !== action.agent) continue;
    if (rule.when && !holds(rule.when, action.params)) continue;
    risk = maxRisk(risk, rule.risk);
    reasons.push(`${rule.risk}: ${rule.reason}`);
  }
  return { risk, reasons };
}

function holds(condition: PolicyCondition, params: Record<string, unknown>): boolean {
  const value = readPath(params, condition.param);
  if ('exists' in condition) return (value !== undefined) === condition.exists;
  if ('count_gt' in condition) return countOf(value) > condition.count_gt;
  if ('equals' in condition) return JSON.stringify(value) === JSON.stringify(condition.equals);
  if ('matches' in condition) return typeof value === 'string' && new RegExp(condition.matches).test(value);
  const host = hostOf(value);
  if ('host_in' in condition) return host !== undefined && condition.host_in.some((h) => sameHost(host, h));
  // host_not_in: a value that is not a URL at all counts as "not in" — unknown destinations are the risky ones.
  return host === undefined || !condition.host_not_in.some((h) => sameHost(host, h));
}

/** The value at a dot path of the params' own properties (never one inherited, like `constructor`). */
export function readPath(params: Record<string, unknown>, path: string): unknown {
  let current: unknown = params;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    // An array's items are its data; its `length` is not a param.
    if (Array.isArray(current) && !/^\d+$/.test(key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function countOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.split(',').filter((s) => s.trim()).length;
  return 0;
}

function hostOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

/** `example.org` also covers `hooks.example.org`; an IP matches only itself. */
function sameHost(host: string, entry: string): boolean {
  const e = entry.toLowerCase();
  return host === e || (!isIP(host) && host.endsWith(`.${e}`));
}

/** The approval requirements for one agent: its own quorum, else `*`, else one approver. */
export function approvalRequirements(policy: RiskPolicy, agent: string): ApprovalRequirements {
  const approval = policy.approval;
  const reminder = approval?.reminder_before ? parseDuration(approval.reminder_before) : undefined;
  const escalate = approval?.escalate_before ? parseDuration(approval.escalate_before) : undefined;
  return {
    quorum: quorumFor(policy, agent),
    separation_of_duties: approval?.separation_of_duties ?? false,
    ...(reminder ? { reminder_before_ms: reminder } : {}),
    ...(escalate ? { escalate_before_ms: escalate } : {}),
    ...(approval?.notify?.length ? { notify: approval.notify.map((t) => ({ target: notifyTargetId(t), channel: t.channel, approver: t.approver, stages: t.stages })) } : {}),
  };
}
