import { ACTIVITY_FAILURES, parseShareDestination, type ShareDestination, type ShareRule, type Tenant } from '../../contracts/index.js';
import { AgentError } from '../agent-error.js';
import { ShareAllowlist, ShareAllowlistError } from './share-allowlist.js';

/** A destination both lists allow, with the entries that allow it (shown to the approver). */
export interface AllowedDestination {
  destination: ShareDestination;
  allowedBy: ShareRule[];
  /** For the connect-time guard: an internal address is reachable only when every list names it by IP for this destination. */
  allowsAddress(address: string): boolean;
}

/** The tenant's own list (from its policy file); undefined when the project has none. */
export type TenantAllowlistSource = (tenant: Tenant) => Promise<readonly string[] | undefined>;

/**
 * The install-wide list narrowed by the project's: one place that decides where a share may go, used by the
 * preview (so an approver is never asked about a destination that would be refused) and again by the run (the
 * policy file may have changed while the ask waited).
 */
export class ShareDestinations {
  // Policy files are cached by modification time, so the same array comes back until the file changes: each list is
  // parsed once per version of its file.
  private readonly tenantLists = new WeakMap<readonly string[], ShareAllowlist>();

  constructor(
    private readonly install: ShareAllowlist,
    private readonly tenantAllowlist?: TenantAllowlistSource,
  ) {}

  async resolve(url: string, tenant: Tenant): Promise<AllowedDestination> {
    const parsed = parseShareDestination(url);
    if (!parsed.ok) throw new AgentError('destination_not_allowed', `${url} cannot be a share destination: ${parsed.reason}`, false);
    const destination = parsed.value;
    const installRule = this.install.match(destination);
    if (!installRule) throw new AgentError('destination_not_allowed', `${destination.href} is not on NEXUS_SHARE_ALLOWLIST`, false);
    const narrowed = await this.tenantList(tenant);
    const tenantRule = narrowed?.match(destination);
    if (narrowed && !tenantRule) {
      throw new AgentError('destination_not_allowed', `${destination.href} is not on this project's share_allowlist (policy)`, false);
    }
    return {
      destination,
      allowedBy: tenantRule ? [installRule, tenantRule] : [installRule],
      allowsAddress: (address) => this.install.allowsAddress(address, destination) && (narrowed?.allowsAddress(address, destination) ?? true),
    };
  }

  private async tenantList(tenant: Tenant): Promise<ShareAllowlist | undefined> {
    let entries: readonly string[] | undefined;
    try {
      entries = await this.tenantAllowlist?.(tenant);
    } catch (err) {
      // A broken policy file fails the command, as it does at assessment, instead of being retried forever.
      // The policy store's typed error, known by its stable code (agents do not import the activities' layer).
      if ((err as { code?: unknown }).code === ACTIVITY_FAILURES.policyInvalid) throw new AgentError(ACTIVITY_FAILURES.policyInvalid, (err as Error).message, false);
      throw err;
    }
    if (!entries) return undefined;
    let list = this.tenantLists.get(entries);
    if (!list) {
      try {
        list = new ShareAllowlist(entries);
      } catch (err) {
        if (err instanceof ShareAllowlistError) throw new AgentError('policy_invalid', err.message, false);
        throw err;
      }
      this.tenantLists.set(entries, list);
    }
    return list;
  }
}
