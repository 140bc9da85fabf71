import type { ServiceRole } from '../../contracts/index.js';

/** A literal piece of a Redis glob pattern. */
const literal = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Redis ACL rules per NEXUS role, over the key families of `RedisKeys` (keys.ts beside this file) under one prefix.
 * `%R~` is read-only, `~` read and write. Every role: no admin or dangerous command (FLUSHALL, CONFIG, KEYS, ACL,
 * MONITOR, DEBUG…) but INFO (the client's ready check), no pub/sub channel, and only its own keys. So the bridge alone
 * writes report streams and the ask index's settlement, only the worker marks an approval used (the API cannot clear
 * one), only the API reads tokens, only the API and the worker (which sends approvers their links) keep approval links,
 * and none can reach another application's keys in the same Redis.
 */
export function redisAclRules(prefix: string): Record<ServiceRole, string[]> {
  const p = literal(prefix);
  const tenant = (family: string) => `${p}{*}:${family}`;
  const common = ['on', 'resetkeys', 'resetchannels', '+@all', '-@admin', '-@dangerous', '+info'];
  const audit = [`~${p}{audit:*}:*`, `~${p}{refusals:*}:count*`];
  return {
    bridge: [
      ...common,
      `~${tenant('reports')}`, `~${tenant('reports:trimmed')}`, `~${tenant('report:*')}`, `~${tenant('ask:*')}`, `~${tenant('progress:*')}`, `~${tenant('open-asks')}`,
      `~${p}{asks}:tenants`,
      ...audit,
    ],
    worker: [
      ...common,
      // The delivery ledgers, and where they lived before (moved on a step's next claim).
      `~${tenant('approval-use:*')}`, `~${p}{kakao:*}:*`, `~${p}kakao:*`,
      // The links it sends approvers (policy files' approval.notify; it holds the decision keys already), and the
      // asks they are about, read only: a message says what NEXUS recorded, not what its scheduler claims.
      `~${p}{link:*}:link`, `%R~${tenant('ask:*')}`,
      // Standing approvals, read only (the API makes and revokes them), and the count of their uses.
      `%R~${tenant('standing:*')}`, `%R~${tenant('standing-index')}`, `~${tenant('standing-uses:*')}`,
      ...audit,
    ],
    api: [
      ...common,
      `%R~${tenant('reports')}`, `%R~${tenant('reports:trimmed')}`, `%R~${tenant('progress:*')}`, `%R~${tenant('open-asks')}`, `%R~${p}{asks}:tenants`,
      `~${tenant('ask:*')}`, `~${tenant('command:*')}`, `~${tenant('standing:*')}`, `~${tenant('standing-index')}`, `%R~${tenant('standing-uses:*')}`,
      `~${p}{stalled}:*`, `~${p}{auth}:*`, `~${p}{link:*}:link`, `~${p}{rate:*}:*`, `~${p}{misses:*}:*`,
      ...audit,
    ],
  };
}
