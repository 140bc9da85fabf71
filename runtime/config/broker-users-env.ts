import { z } from 'zod';

export const BrokerPassword = z.string().min(12, 'must be at least 12 characters');

/** What `npm run broker:users` reads besides NEXUS's own config: the passwords of the users it defines. */
export const BrokerUsersEnv = z.object({
  RABBITMQ_API_PASSWORD: BrokerPassword,
  RABBITMQ_WORKER_PASSWORD: BrokerPassword,
  RABBITMQ_BRIDGE_PASSWORD: BrokerPassword,
  RABBITMQ_ADMIN_USER: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  // An existing login, chosen by whoever set the broker up: only needs to be there.
  RABBITMQ_ADMIN_PASSWORD: z.string().min(1).optional(),
  RABBITMQ_AGENTS: z.string().default(''),
  RABBITMQ_USER_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{0,32}$/).default('nexus-'),
});

/** The environment a command-line tool was given, or the process's own. */
export function readEnv(env?: Record<string, string | undefined>): Record<string, string | undefined> {
  return env ?? process.env;
}
