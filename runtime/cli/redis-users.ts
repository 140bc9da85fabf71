import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { redisAclRules, type RedisRole } from '../../infra/store/redis-acl.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { readEnv, RedisUsersEnv } from '../config/users-env.js';

const USAGE = `usage:
  npm run redis:users -- --apply     define an ACL user per NEXUS role in the Redis at REDIS_ADMIN_URL (or REDIS_URL)
env: REDIS_API_PASSWORD, REDIS_WORKER_PASSWORD, REDIS_BRIDGE_PASSWORD (each at least 12 characters);
     REDIS_DEFAULT_PASSWORD (also lock Redis's default user: only for a Redis of NEXUS's own);
     REDIS_USER_PREFIX (default "nexus-"); NEXUS_REDIS_PREFIX, the key prefix the rules are written for`;

class UsageError extends Error {}

export interface RedisUser {
  name: string;
  password: string;
  rules: string[];
}

/** One ACL user per role, limited to that role's key families under NEXUS_REDIS_PREFIX (infra/store/redis-acl.ts). */
export function redisUsers(env?: Record<string, string | undefined>): RedisUser[] {
  const parsed = RedisUsersEnv.safeParse(readEnv(env));
  if (!parsed.success) throw new UsageError(`${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`);
  const e = parsed.data;
  const rules = redisAclRules(loadConfig(env).redis.prefix);
  const passwords: Record<RedisRole, string> = { api: e.REDIS_API_PASSWORD, worker: e.REDIS_WORKER_PASSWORD, bridge: e.REDIS_BRIDGE_PASSWORD };
  return (Object.keys(rules) as RedisRole[]).map((role) => ({ name: `${e.REDIS_USER_PREFIX}${role}`, password: passwords[role], rules: rules[role] }));
}

export async function redisUsersCli(argv: string[], env: Record<string, string | undefined> | undefined, out: (line: string) => void): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { apply: { type: 'boolean' } } });
  if (!values.apply) throw new UsageError(USAGE);
  const users = redisUsers(env);
  const e = RedisUsersEnv.parse(readEnv(env));
  const redis = new Redis(e.REDIS_ADMIN_URL ?? loadConfig(env).redis.url, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    // `reset` first: running it again leaves exactly these rules and this password, nothing an earlier run gave.
    for (const user of users) await redis.call('ACL', 'SETUSER', user.name, 'reset', ...user.rules, `>${user.password}`);
    if (e.REDIS_DEFAULT_PASSWORD) await redis.call('ACL', 'SETUSER', 'default', 'on', 'resetpass', `>${e.REDIS_DEFAULT_PASSWORD}`);
    // Kept across restarts where Redis has an ACL file (the compose file gives it one); in memory otherwise.
    const saved = await redis.call('ACL', 'SAVE').then(() => true, () => false);
    out(`defined ${users.map((u) => u.name).join(', ')}${saved ? ' (saved to the ACL file)' : ' (this Redis has no ACL file: run this again after it restarts)'}`);
  } finally {
    redis.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  redisUsersCli(process.argv.slice(2), undefined, (line) => process.stdout.write(`${line}\n`)).catch((err: unknown) => {
    const known = err instanceof UsageError || err instanceof ConfigError;
    process.stderr.write(`nexus redis:users: ${known ? '' : 'failed: '}${(err as Error).message}\n`);
    process.exit(1);
  });
}
