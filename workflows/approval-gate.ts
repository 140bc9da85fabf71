import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { CommandInput, DecideInput } from '../contracts/index.js';
import { DECIDE_REJECTIONS, decideUpdate } from './messages.js';

interface OpenAsk {
  askId: string;
  expiresAtMs: number;
  digest: string;
}

/**
 * The only door through which RED work gets permission. Registered before the workflow's first await, so an
 * update that reaches a worker replaying from the start is answered ("not ready") instead of refused for want of
 * a handler. One ask is open at a time; closed asks are remembered so late decisions get a precise refusal.
 */
export class ApprovalGate {
  private open: OpenAsk | undefined;
  private decision: DecideInput | undefined;
  private readonly closed = new Map<string, 'decided' | 'expired'>();

  constructor(private readonly input: CommandInput) {
    setHandler(decideUpdate, (d) => {
      this.decision = d;
      return { accepted: true };
    }, { validator: (d) => this.validate(d) });
  }

  /** Opens an ask and waits for its decision; undefined means it expired. */
  async wait(ask: OpenAsk): Promise<DecideInput | undefined> {
    this.open = ask;
    this.decision = undefined;
    const decided = await condition(() => this.decision !== undefined, Math.max(1, ask.expiresAtMs - Date.now()));
    const decision = decided ? this.decision : undefined;
    this.closed.set(ask.askId, decision ? 'decided' : 'expired');
    this.open = undefined;
    this.decision = undefined;
    return decision;
  }

  private validate(d: DecideInput): void {
    const { tenant } = this.input;
    if (d.tenant.org_id !== tenant.org_id || d.tenant.project_id !== tenant.project_id) reject('no such ask', DECIDE_REJECTIONS.unknownAsk);
    const closed = this.closed.get(d.ask_id);
    if (closed === 'decided') reject('ask already decided', DECIDE_REJECTIONS.alreadyDecided);
    if (closed === 'expired') reject('ask expired', DECIDE_REJECTIONS.expired);
    const open = this.open;
    if (open === undefined) reject('the ask is not open (yet)', DECIDE_REJECTIONS.notReady);
    if (d.ask_id !== open.askId) reject('no such ask', DECIDE_REJECTIONS.unknownAsk);
    if (this.decision !== undefined) reject('ask already decided', DECIDE_REJECTIONS.alreadyDecided);
    if (Date.now() >= open.expiresAtMs) reject('ask expired', DECIDE_REJECTIONS.expired);
    if (d.action_digest !== undefined && d.action_digest !== open.digest) {
      reject('action_digest does not match the action awaiting approval', DECIDE_REJECTIONS.digestMismatch);
    }
  }
}

function reject(message: string, type: string): never {
  throw ApplicationFailure.create({ message, type, nonRetryable: true });
}
