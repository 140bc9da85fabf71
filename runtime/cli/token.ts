import { parseArgs } from 'node:util';
import { redisClient } from '../../infra/redis.js';
import { Role } from '../../api/auth/principal.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { loadConfig } from '../config/load-config.js';
import { runAsScript, UsageError } from './cli-run.js';
import { TenantId } from '../../contracts/index.js';

const USAGE = `usage:
  npm run token -- create --org <org> --projects <p1,p2|*> --roles <operator,approver,viewer,admin> [--label <text>]
  npm run token -- revoke <token_id>
  npm run token -- list --org <org>`;


/**
 * Token administration against the Redis of this install (REDIS_URL, NEXUS_REDIS_PREFIX). Whoever can run this
 * can reach Redis, which is the real admin boundary; the `admin` role is reserved for an HTTP API that does the same.
 * The token is printed once, on stdout, and never again: only its SHA-256 is stored.
 */
export async function tokenCli(argv: string[], env: Record<string, string | undefined> | undefined, out: (line: string) => void): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { org: { type: 'string' }, projects: { type: 'string' }, roles: { type: 'string' }, label: { type: 'string' } },
    allowPositionals: true,
  });
  const config = loadConfig(env);
  const redis = redisClient(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const store = new TokenStore(redis, config.redis.prefix, 0);
    if (command === 'create') {
      const org = check(TenantId, values.org, '--org');
      const projects = values.projects === '*' ? '*' : split(values.projects, '--projects').map((p) => check(TenantId, p, '--projects'));
      const roles = split(values.roles, '--roles').map((r) => check(Role, r, '--roles'));
      const { token, record } = await store.create({ org_id: org, projects, roles, label: values.label ?? '' });
      out(token);
      process.stderr.write(`created ${record.token_id} for org ${org}, projects ${projects === '*' ? '*' : projects.join(',')}, roles ${roles.join(',')}; the token above is shown only once\n`);
    } else if (command === 'revoke') {
      const id = positionals[0];
      if (!id) throw new UsageError('revoke needs a token_id');
      if (!(await store.revoke(id))) throw new UsageError(`no token with id ${id}`);
      out(`revoked ${id} (takes effect within NEXUS_AUTH_CACHE_TTL)`);
    } else if (command === 'list') {
      const org = check(TenantId, values.org, '--org');
      for (const r of await store.list(org)) {
        out(JSON.stringify({ token_id: r.token_id, org_id: r.org_id, projects: r.projects, roles: r.roles, label: r.label, created_at: r.created_at, revoked: r.revoked }));
      }
    } else {
      throw new UsageError(USAGE);
    }
  } finally {
    redis.disconnect();
  }
}

function split(value: string | undefined, flag: string): string[] {
  const parts = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`${flag} is required\n${USAGE}`);
  return parts;
}

function check<T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, value: string | undefined, flag: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success || parsed.data === undefined) throw new UsageError(`${flag}: invalid value ${JSON.stringify(value ?? '')}\n${USAGE}`);
  return parsed.data;
}

runAsScript(import.meta.url, 'token', () => tokenCli(process.argv.slice(2), undefined, (line) => process.stdout.write(`${line}\n`)));
