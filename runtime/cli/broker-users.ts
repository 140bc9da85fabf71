import { execFile } from 'node:child_process';
import type { ServiceRole } from '../../contracts/index.js';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { z } from 'zod';
import { agentQueue, remoteTopology } from '../../agents/remote/remote-topology.js';
import { brokerDefinitions, type BrokerUser } from '../../infra/messaging/broker-definitions.js';
import { agentPermissions, rolePermissions } from '../../infra/messaging/broker-permissions.js';
import { BrokerUsersEnv, readEnv, UserPassword } from '../config/users-env.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { parseToolEnv, runAsScript, UsageError } from './cli-run.js';

const USAGE = `usage:
  npm run broker:users -- --out <file>     write RabbitMQ definitions (users per role, their permissions)
  npm run broker:users -- --apply          import them into the local broker (rabbitmqctl import_definitions)
  npm run broker:users -- --post <url>     import them through the management API at <url> as RABBITMQ_ADMIN_USER
env: RABBITMQ_API_PASSWORD, RABBITMQ_WORKER_PASSWORD, RABBITMQ_BRIDGE_PASSWORD (each at least 12 characters);
     RABBITMQ_ADMIN_USER + RABBITMQ_ADMIN_PASSWORD (the broker's existing administrator, for --post);
     RABBITMQ_AGENTS "name:password,…" (remote agents, each limited to its own queue, optional);
     RABBITMQ_USER_PREFIX (default "nexus-"); names of exchanges and queues as NEXUS reads them (NEXUS_REPORTS_EXCHANGE, …)`;

const run = promisify(execFile);

/** The users of one install: one per NEXUS role and one per remote agent. */
export function brokerUsers(env?: Record<string, string | undefined>): BrokerUser[] {
  return usersOf(parseToolEnv(BrokerUsersEnv, readEnv(env), USAGE), loadConfig(env));
}

function usersOf(e: z.infer<typeof BrokerUsersEnv>, config: Config): BrokerUser[] {
  const names = { reports: { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue }, remote: remoteTopology(config.remote.prefix) };
  const roles = rolePermissions(names);
  const passwords: Record<ServiceRole, string> = { api: e.RABBITMQ_API_PASSWORD, worker: e.RABBITMQ_WORKER_PASSWORD, bridge: e.RABBITMQ_BRIDGE_PASSWORD };
  const users: BrokerUser[] = (Object.keys(roles) as ServiceRole[]).map((role) => ({ name: `${e.RABBITMQ_USER_PREFIX}${role}`, password: passwords[role], permission: roles[role] }));
  for (const entry of e.RABBITMQ_AGENTS.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    const agent = entry.slice(0, at);
    if (at < 1 || !/^[a-z0-9_.-]{1,64}$/.test(agent)) throw new UsageError(`RABBITMQ_AGENTS: "${agent}" is not an agent name (name:password,…)`);
    const password = check(UserPassword, entry.slice(at + 1), `RABBITMQ_AGENTS (${agent})`);
    users.push({ name: `${e.RABBITMQ_USER_PREFIX}agent-${agent}`, password, permission: agentPermissions(names, agentQueue(config.remote.prefix, agent)) });
  }
  return users;
}

/** The operator's existing login, which `--post` signs in with (it is not redefined). */
function adminLogin(e: z.infer<typeof BrokerUsersEnv>): { user: string; password: string } {
  if (!e.RABBITMQ_ADMIN_USER || !e.RABBITMQ_ADMIN_PASSWORD) throw new UsageError('--post signs in as RABBITMQ_ADMIN_USER: set it and RABBITMQ_ADMIN_PASSWORD');
  return { user: e.RABBITMQ_ADMIN_USER, password: e.RABBITMQ_ADMIN_PASSWORD };
}

export async function brokerUsersCli(argv: string[], env: Record<string, string | undefined> | undefined, out: (line: string) => void): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, apply: { type: 'boolean' }, post: { type: 'string' } } });
  if (!values.out && !values.apply && !values.post) throw new UsageError(USAGE);
  const e = parseToolEnv(BrokerUsersEnv, readEnv(env), USAGE);
  const users = usersOf(e, loadConfig(env));
  const text = JSON.stringify(brokerDefinitions(users), null, 2);
  if (values.out) {
    // Password hashes: readable by this user only.
    writeFileSync(values.out, text, { mode: 0o600 });
    out(`wrote ${users.length} users to ${values.out}`);
  }
  if (values.apply) {
    await importLocally(text);
    out(`imported ${users.map((u) => u.name).join(', ')} into the local broker`);
  }
  if (values.post) {
    await postDefinitions(values.post, adminLogin(e), text);
    out(`imported ${users.map((u) => u.name).join(', ')} through ${new URL(values.post).origin}`);
  }
}

/**
 * `rabbitmqctl import_definitions <file>`. The packaged rabbitmqctl runs as the broker's own user, so the file (password
 * hashes) is made that user's, 0600, in a folder others may pass through but not list; RabbitMQ 3.10 reads no stdin.
 */
async function importLocally(text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-broker-'));
  try {
    chmodSync(dir, 0o711);
    const file = join(dir, 'definitions.json');
    writeFileSync(file, text, { mode: 0o600 });
    const owner = await brokerOwner();
    if (owner) chownSync(file, owner.uid, owner.gid);
    await run('rabbitmqctl', ['import_definitions', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The broker's system user, when there is one and this process may hand it a file (root). */
async function brokerOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'rabbitmq']), run('id', ['-g', 'rabbitmq'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** `POST /api/definitions`: merges users and permissions into the running broker, leaving its queues alone. */
async function postDefinitions(base: string, admin: { user: string; password: string }, body: string): Promise<void> {
  const res = await fetch(new URL('/api/definitions', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${admin.user}:${admin.password}`).toString('base64')}` },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`the management API answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

function check<T>(schema: z.ZodType<T>, value: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${what}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

runAsScript(import.meta.url, 'broker:users', () => brokerUsersCli(process.argv.slice(2), undefined, (line) => process.stdout.write(`${line}\n`)));
