import { z } from 'zod';

/** A password NEXUS sets for one of its own service users. */
export const UserPassword = z.string().min(12, 'must be at least 12 characters');

/** What `npm run broker:users` reads besides NEXUS's own config: the passwords of the users it defines. */
export const BrokerUsersEnv = z.object({
  RABBITMQ_API_PASSWORD: UserPassword,
  RABBITMQ_WORKER_PASSWORD: UserPassword,
  RABBITMQ_BRIDGE_PASSWORD: UserPassword,
  RABBITMQ_ADMIN_USER: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  // An existing login, chosen by whoever set the broker up: only needs to be there.
  RABBITMQ_ADMIN_PASSWORD: z.string().min(1).optional(),
  RABBITMQ_AGENTS: z.string().default(''),
  RABBITMQ_USER_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{0,32}$/).default('nexus-'),
});

/** What `npm run redis:users` reads besides NEXUS's own config: the passwords of the ACL users it defines. */
export const RedisUsersEnv = z.object({
  /** Where to define them, as a user allowed to run ACL SETUSER (default: REDIS_URL). */
  REDIS_ADMIN_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  REDIS_API_PASSWORD: UserPassword,
  REDIS_WORKER_PASSWORD: UserPassword,
  REDIS_BRIDGE_PASSWORD: UserPassword,
  /** Also give Redis's `default` user this password (a Redis of NEXUS's own; never a shared one). */
  REDIS_DEFAULT_PASSWORD: UserPassword.optional(),
  REDIS_USER_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{0,32}$/).default('nexus-'),
});

/** The environment a command-line tool was given, or the process's own. */
export function readEnv(env?: Record<string, string | undefined>): Record<string, string | undefined> {
  return env ?? process.env;
}
