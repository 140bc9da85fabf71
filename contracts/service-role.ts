import { z } from 'zod';

/** The three roles a NEXUS process runs (alone or together): each signs in to RabbitMQ and Redis as its own user. */
export const ServiceRole = z.enum(['api', 'worker', 'bridge']);
export type ServiceRole = z.infer<typeof ServiceRole>;
