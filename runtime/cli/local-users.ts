import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback } from '../../contracts/loopback.js';
import { parseRedisUrl, redisHosts, redisUrlWithLogin } from '../../infra/redis-address.js';
import { urlWithLogin } from '../../infra/url-login.js';
import { assertPrivate, privateDir } from '../../infra/files/private-paths.js';
import { loadConfig } from '../config/load-config.js';
import { BrokerUsersEnv, readEnv, RedisUsersEnv } from '../config/users-env.js';
import { brokerUsersCli } from './broker-users.js';
import { runAsScript } from './cli-run.js';
import { redisUsersCli } from './redis-users.js';

/** The variables this writes, one login per role and service, which `./nexus start` hands to the process. */
const ROLES = ['api', 'worker', 'bridge'] as const;
const urlVar = (role: string, service: 'AMQP' | 'REDIS') => `NEXUS_${role.toUpperCase()}_${service}_URL`;
export const LOCAL_USERS_FILE = 'service-users.env';

export type LocalUsersResult = { file: string } | { skipped: string };

/**
 * `./nexus start` on local services: a RabbitMQ user and a Redis ACL user per role (broker:users, redis:users), with
 * passwords generated once and kept in `<NEXUS_DATA_DIR>/service-users.env` (0600, in the 0700 data folder) as the
 * per-role URLs the process reads. Run again, it keeps the passwords and re-applies the users (a local Redis without
 * an ACL file forgets them when it restarts). It leaves alone services it does not own: non-local URLs, logins the
 * operator chose (any NEXUS_<ROLE>_*_URL set), or NEXUS_LOCAL_USERS=off.
 */
export async function defineLocalUsers(env: Record<string, string | undefined>, log: (line: string) => void): Promise<LocalUsersResult> {
  const config = loadConfig(env);
  if (env.NEXUS_LOCAL_USERS === 'off') return { skipped: 'NEXUS_LOCAL_USERS=off' };
  const chosen = ROLES.flatMap((r) => [urlVar(r, 'AMQP'), urlVar(r, 'REDIS')]).filter((name) => env[name]);
  if (chosen.length > 0) return { skipped: `${chosen.join(', ')} set by the operator` };
  const amqp = new URL(config.amqp.url);
  if (!isLoopback(amqp.hostname) || !redisHosts(config.redis.url).every(isLoopback)) return { skipped: 'REDIS_URL or AMQP_URL is not on this machine' };

  privateDir(config.temporal.dataDir);
  const file = join(config.temporal.dataDir, LOCAL_USERS_FILE);
  const kept = existsSync(file) ? readKept(file) : {};
  const password = (name: string) => kept[name] ?? randomBytes(18).toString('base64url');
  const passwords = Object.fromEntries(ROLES.flatMap((r) => [urlVar(r, 'AMQP'), urlVar(r, 'REDIS')].map((name) => [name, password(name)])));
  const secrets = {
    RABBITMQ_API_PASSWORD: passwords[urlVar('api', 'AMQP')], RABBITMQ_WORKER_PASSWORD: passwords[urlVar('worker', 'AMQP')], RABBITMQ_BRIDGE_PASSWORD: passwords[urlVar('bridge', 'AMQP')],
    REDIS_API_PASSWORD: passwords[urlVar('api', 'REDIS')], REDIS_WORKER_PASSWORD: passwords[urlVar('worker', 'REDIS')], REDIS_BRIDGE_PASSWORD: passwords[urlVar('bridge', 'REDIS')],
  };
  // The logins these URLs hold (guest, Redis's default user) define the users; they stay as they are.
  const toolEnv = { ...env, ...secrets, RABBITMQ_AGENTS: '', REDIS_DEFAULT_PASSWORD: undefined, REDIS_ADMIN_URL: undefined };
  await brokerUsersCli(['--apply'], toolEnv, log);
  await redisUsersCli(['--apply'], toolEnv, log);

  // User names as the two tools make them: their prefix, with the tools' own default.
  const prefix = {
    AMQP: BrokerUsersEnv.shape.RABBITMQ_USER_PREFIX.parse(env.RABBITMQ_USER_PREFIX),
    REDIS: RedisUsersEnv.shape.REDIS_USER_PREFIX.parse(env.REDIS_USER_PREFIX),
  };
  const lines = ROLES.flatMap((role) => (['AMQP', 'REDIS'] as const).map((service) =>
    `${urlVar(role, service)}=${(service === 'AMQP' ? urlWithLogin : redisUrlWithLogin)(service === 'AMQP' ? amqp.href : config.redis.url, `${prefix[service]}${role}`, passwords[urlVar(role, service)] ?? '')}`));
  writeFileSync(file, `# NEXUS's logins per role on this machine's services (runtime/cli/local-users.ts); secrets: keep 0600\n${lines.join('\n')}\n`, { mode: 0o600 });
  return { file };
}

/** The passwords of an earlier run, from a file that must still be this user's alone. */
function readKept(file: string): Record<string, string> {
  assertPrivate(file, 'service users file');
  const kept: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(NEXUS_[A-Z]+_(?:AMQP|REDIS)_URL)=(.+)$/.exec(line.trim());
    if (!match?.[1] || !match[2]) continue;
    const target = parseRedisUrl(match[2]);
    const password = target?.kind === 'cluster' ? target.password ?? '' : decodeURIComponent(new URL(match[2]).password);
    if (password.length >= 12) kept[match[1]] = password;
  }
  return kept;
}

// Prints the file's path for `./nexus start` to read, or nothing; what happened goes to stderr.
runAsScript(import.meta.url, 'local:users', async () => {
  const result = await defineLocalUsers(readEnv(), (line) => process.stderr.write(`nexus: ${line}\n`));
  if ('file' in result) process.stdout.write(`${result.file}\n`);
  else process.stderr.write(`nexus: one login for all roles (${result.skipped})\n`);
});
