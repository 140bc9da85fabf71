import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTIVITY_FAILURES, RiskPolicy, type Tenant } from '../../contracts/index.js';

export class PolicyError extends Error {
  readonly code = ACTIVITY_FAILURES.policyInvalid;
}

const EMPTY: RiskPolicy = { rules: [] };

/**
 * Risk policies from files: `<dir>/<org>/<project>.json`, else `<dir>/<org>/default.json`, else
 * `<dir>/default.json`. Re-read when a file changes, so a policy edit needs no restart. A file that does not
 * validate is an error (the command fails with `policy_invalid`, nothing runs), never silently "no rules".
 */
export class PolicyStore {
  private readonly cache = new Map<string, { mtimeMs: number; policy: RiskPolicy }>();

  constructor(private readonly dir: string) {}

  async forTenant(tenant: Tenant): Promise<RiskPolicy> {
    for (const file of [
      join(this.dir, tenant.org_id, `${tenant.project_id}.json`),
      join(this.dir, tenant.org_id, 'default.json'),
      join(this.dir, 'default.json'),
    ]) {
      const policy = await this.load(file);
      if (policy) return policy;
    }
    return EMPTY;
  }

  private async load(file: string): Promise<RiskPolicy | undefined> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(file)).mtimeMs;
    } catch {
      return undefined;
    }
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === mtimeMs) return cached.policy;
    let parsed;
    try {
      parsed = RiskPolicy.safeParse(JSON.parse(await readFile(file, 'utf8')));
    } catch (err) {
      throw new PolicyError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PolicyError(`${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
    }
    this.cache.set(file, { mtimeMs, policy: parsed.data });
    return parsed.data;
  }
}
