import { parseArgs } from 'node:util';
import type { ServiceRole } from '../../contracts/index.js';
import type { z } from 'zod';
import { clusterOf, redisClient } from '../../infra/redis.js';
import { redisAclRules } from '../../infra/store/redis-acl.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { readEnv, RedisUsersEnv } from '../config/users-env.js';
import { parseToolEnv, runAsScript, UsageError } from './cli-run.js';

const USAGE = `usage:
  npm run redis:users -- --apply     define an ACL user per NEXUS role in the Redis at REDIS_ADMIN_URL (or REDIS_URL)
env: REDIS_API_PASSWORD, REDIS_WORKER_PASSWORD, REDIS_BRIDGE_PASSWORD (each at least 12 characters);
     REDIS_DEFAULT_PASSWORD (also lock Redis's default user: only for a Redis of NEXUS's own);
     REDIS_USER_PREFIX (default "nexus-"); NEXUS_REDIS_PREFIX, the key prefix the rules are written for`;

export interface RedisUser {
  name: string;
  password: string;
  rules: string[];
}

/** One ACL user per role, limited to that role's key families under NEXUS_REDIS_PREFIX (infra/store/redis-acl.ts). */
export function redisUsers(env?: Record<string, string | undefined>): RedisUser[] {
  return usersOf(parseToolEnv(RedisUsersEnv, readEnv(env), USAGE), loadConfig(env));
}

function usersOf(e: z.infer<typeof RedisUsersEnv>, config: Config): RedisUser[] {
  const rules = redisAclRules(config.redis.prefix);
  const passwords: Record<ServiceRole, string> = { api: e.REDIS_API_PASSWORD, worker: e.REDIS_WORKER_PASSWORD, bridge: e.REDIS_BRIDGE_PASSWORD };
  return (Object.keys(rules) as ServiceRole[]).map((role) => ({ name: `${e.REDIS_USER_PREFIX}${role}`, password: passwords[role], rules: rules[role] }));
}

export async function redisUsersCli(argv: string[], env: Record<string, string | undefined> | undefined, out: (line: string) => void): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { apply: { type: 'boolean' } } });
  if (!values.apply) throw new UsageError(USAGE);
  const e = parseToolEnv(RedisUsersEnv, readEnv(env), USAGE);
  const config = loadConfig(env);
  const users = usersOf(e, config);
  const redis = redisClient(e.REDIS_ADMIN_URL ?? config.redis.url, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    // A cluster's nodes keep their users apart: every master and replica gets them (a replica promoted later too).
    const nodes = clusterOf(redis)?.nodes('all') ?? [redis];
    let saved = 0;
    for (const node of nodes) {
      // `reset` first: running it again leaves exactly these rules and this password, nothing an earlier run gave.
      for (const user of users) await node.call('ACL', 'SETUSER', user.name, 'reset', ...user.rules, `>${user.password}`);
      if (e.REDIS_DEFAULT_PASSWORD) await node.call('ACL', 'SETUSER', 'default', 'on', 'resetpass', `>${e.REDIS_DEFAULT_PASSWORD}`);
      // Kept across restarts where Redis has an ACL file (the compose file gives it one); in memory otherwise.
      if (await node.call('ACL', 'SAVE').then(() => true, () => false)) saved += 1;
    }
    const where = nodes.length > 1 ? ` on ${nodes.length} cluster nodes` : '';
    out(`defined ${users.map((u) => u.name).join(', ')}${where}${saved === nodes.length ? ' (saved to the ACL file)' : ' (this Redis has no ACL file: run this again after it restarts)'}`);
  } finally {
    redis.disconnect();
  }
}

runAsScript(import.meta.url, 'redis:users', () => redisUsersCli(process.argv.slice(2), undefined, (line) => process.stdout.write(`${line}\n`)));
