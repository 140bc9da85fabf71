import { createHash, randomBytes } from 'node:crypto';
import type { BrokerPermission } from './broker-permissions.js';

export interface BrokerUser {
  name: string;
  password: string;
  permission: BrokerPermission;
}

/**
 * RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ++ sha256(salt ++ password)) with a 4-byte salt, so the
 * definitions file holds no password in clear.
 */
export function rabbitPasswordHash(password: string, salt = randomBytes(4)): string {
  const digest = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/**
 * A RabbitMQ definitions document with the users and their permissions on one vhost: loaded at boot
 * (`load_definitions`, the compose file) or imported into a running broker (`rabbitmqctl import_definitions`). It
 * names no exchange or queue: NEXUS declares those itself, within the permissions given here.
 */
export function brokerDefinitions(users: BrokerUser[], vhost = '/') {
  return {
    users: users.map((u) => ({ name: u.name, password_hash: rabbitPasswordHash(u.password), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] })),
    vhosts: [{ name: vhost }],
    permissions: users.map((u) => ({ user: u.name, vhost, ...u.permission })),
  };
}
