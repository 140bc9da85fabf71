import { allHandlersFinished, ApplicationFailure, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ApprovalRequirements, CommandInput, DecideInput, DecisionVerdict } from '../contracts/index.js';
import { verification } from './activity-proxies.js';
import { DECIDE_REJECTIONS } from '../contracts/failure-codes.js';
import { decideUpdate } from './messages.js';
import { TurnLine } from './turn-line.js';

/**
 * Patch marker recorded when a decision had to wait for another one. Histories written before decisions took
 * turns have none: there, a waiting decision is verified at once as it was then (docs/architecture.md,
 * "Decisions that replay").
 */
export const DECISIONS_TAKE_TURNS = 'nexus-decisions-take-turns';

export interface OpenAsk {
  askId: string;
  expiresAtMs: number;
  digest: string;
  approval: ApprovalRequirements;
  /** Who may not approve this ask: the editor of the action it asks about (four eyes on edits). */
  excluded: string[];
}

export type AskStage = { stage: 'approval'; decision: DecideInput; approvals: number } | { stage: 'reminder' | 'escalation'; approvals: number };

/** One open ask and what its waiting loop has been told so far. */
interface AskSlot {
  ask: OpenAsk;
  /** Verified decisions the waiting loop has not taken yet. */
  received: DecideInput[];
  approvers: Set<string>;
  escalated: boolean;
  /** The waiting loop is blocked on the next decision (not on a report or a stage of its own). */
  listening: boolean;
}

export type GateOutcome =
  | { kind: 'approved'; decisions: DecideInput[] }
  /** Approved with other params: a new action, which is assessed (and asked about) again; the editor's approval does not carry over. */
  | { kind: 'edited'; decision: DecideInput & { params: Record<string, unknown> }; decisions: DecideInput[] }
  | { kind: 'denied'; decision: DecideInput; decisions: DecideInput[] }
  | { kind: 'expired' };

/**
 * The only door through which RED work gets permission. Registered before the workflow's first await, so an
 * update that reaches a worker replaying from the start is answered ("not ready") instead of refused for want of
 * a handler. A decision counts only once the worker verified the NEXUS API's proof on it (an activity: the
 * validator can do no I/O and the key must stay out of history); roles, names and tenant come from that proven
 * content, never from what a bare update claims. M-of-N: distinct approvers count, any deny ends the ask, each
 * approver decides once, nobody reuses a proof.
 */
export class ApprovalGate {
  /**
   * The asks open now: one, or several when a plan asks about all of its RED calls at once. Each has its own
   * quorum, approvers, timers and escalation; proofs, turns and closed asks are the command's.
   */
  private readonly open = new Map<string, AskSlot>();
  /** Asks reported to approvers but not open here yet: a decision for one is early ("not ready"), not unknown. */
  private readonly announced = new Set<string>();
  private readonly nonces = new Set<string>();
  private readonly closed = new Map<string, 'decided' | 'expired' | 'withdrawn'>();
  /** Per ask, the decisions that counted. */
  private readonly counted = new Map<string, DecideInput[]>();
  private readonly line = new TurnLine();
  private verifiedCount = 0;
  private appliedCount = 0;

  constructor(private readonly input: CommandInput) {
    setHandler(decideUpdate, async (d) => {
      const turn = this.line.join();
      try {
        // One decision at a time, in the order Temporal accepted them: the verification local activity of the
        // next decision is scheduled only once the previous decision has been applied, so no two local
        // activities are ever outstanding together, and how their results are grouped into activations cannot
        // differ between the first run and a replay.
        const waiting = !this.line.isFirst(turn);
        const takeTurns = waiting && patched(DECISIONS_TAKE_TURNS);
        if (takeTurns) {
          await condition(() => this.line.isFirst(turn));
          // Refused without verifying anything, as the validator would refuse it now: the decision before this
          // one may have closed the ask, or the ask expired while this one waited.
          this.precheck(d);
        }
        // Awaited right here, with nothing else awaited when there is nothing to wait for: a replayed history
        // from before decisions took turns has the update completions where the old handler's microtasks put
        // them.
        let verdict: DecisionVerdict | undefined;
        try {
          verdict = await verification.verifyDecision({
            decision: d,
            command: { workflow_id: input.workflow_id, correlation_id: input.correlation_id, tenant: input.tenant },
            ask_id: d.ask_id,
          });
        } catch {
          verdict = undefined;
        }
        const verified = this.verifiedCount++;
        try {
          // A decision that did not wait for its turn: alone (then it is its turn already), or replayed from a
          // history written before decisions took turns, with others checked at the same time.
          if (!takeTurns && !this.legacyTurn(verified)) await condition(() => this.legacyTurn(verified));
          if (!verdict) reject('the decision could not be verified now; retry', DECIDE_REJECTIONS.unverifiable);
          if (!verdict.ok) reject(verdict.message, verdict.code);
          // Verified: now the claims are NEXUS's. The ask may have moved on while the proof was checked.
          this.precheck(d);
          const slot = this.validate(d);
          this.nonces.add(d.proof.nonce);
          slot.received.push(d);
          this.counted.set(d.ask_id, [...(this.counted.get(d.ask_id) ?? []), d]);
          if (d.decision === 'approve') slot.approvers.add(d.decided_by);
          const final = d.decision === 'deny' || d.params !== undefined || slot.approvers.size >= slot.ask.approval.quorum;
          // Settled here, not when the waiting loop wakes: a decision waiting its turn must find the ask closed.
          if (final) this.closed.set(d.ask_id, 'decided');
          return { accepted: true, final };
        } finally {
          this.appliedCount++;
        }
      } finally {
        this.line.leave(turn);
      }
    }, {
      validator: (d) => {
        this.assertSigned(d);
        this.precheck(d);
      },
    });
  }

  /**
   * Whether a decision may be applied now, replaying a history written before decisions took turns, where
   * several proofs were checked at once. Live, each verdict reached the workflow in an activation of its own (as
   * good as always: the checks finished at distinct moments), and the workflow acted on one decision before the
   * next arrived; a replay hands them over together. Applying them one at a time, each only once the one before
   * it was applied and the waiting loop has taken it, reproduces those histories. (A run where two verdicts did
   * share an activation wrote the same markers and cannot be told apart.)
   */
  private legacyTurn(verified: number): boolean {
    return this.appliedCount >= verified && ![...this.open.values()].some((slot) => slot.listening && slot.received.length > 0);
  }

  /** Who decided this ask so far, as it counted: for the account of an ask that closes without a decision. */
  countedFor(askId: string): DecideInput[] {
    return [...(this.counted.get(askId) ?? [])];
  }

  /** The ask is about to be reported: until its wait opens it, a decision for it is answered "not ready". */
  announce(askId: string): void {
    this.announced.add(askId);
  }

  /**
   * Opens an ask and waits for its outcome, reporting approvals, the reminder and the escalation on the way. Several
   * asks may wait at once; an ask whose wait is cancelled is withdrawn: no decision can count for it any more.
   */
  async wait(ask: OpenAsk, onStage: (stage: AskStage) => Promise<void>): Promise<GateOutcome> {
    const slot: AskSlot = { ask, received: [], approvers: new Set(), escalated: false, listening: false };
    this.open.set(ask.askId, slot);
    this.announced.delete(ask.askId);
    const counted: DecideInput[] = [];
    const { reminder_before_ms: reminderBefore, escalate_before_ms: escalateBefore, quorum } = ask.approval;
    const timers = [
      ...(reminderBefore ? [{ stage: 'reminder' as const, atMs: ask.expiresAtMs - reminderBefore }] : []),
      ...(escalateBefore ? [{ stage: 'escalation' as const, atMs: ask.expiresAtMs - escalateBefore }] : []),
    ].filter((t) => t.atMs > Date.now()).sort((a, b) => a.atMs - b.atMs);

    try {
      for (;;) {
        const nextAtMs = Math.min(timers[0]?.atMs ?? ask.expiresAtMs, ask.expiresAtMs);
        slot.listening = true;
        const woke = await condition(() => slot.received.length > 0, Math.max(1, nextAtMs - Date.now()));
        slot.listening = false;
        if (woke) {
          const decision = slot.received.shift();
          if (!decision) continue;
          counted.push(decision);
          if (decision.decision === 'deny') {
            this.closed.set(ask.askId, 'decided');
            return { kind: 'denied', decision, decisions: counted };
          }
          if (decision.params !== undefined) {
            this.closed.set(ask.askId, 'decided');
            return { kind: 'edited', decision: { ...decision, params: decision.params }, decisions: counted };
          }
          const approvals = counted.filter((d) => d.decision === 'approve').length;
          if (approvals >= quorum) {
            this.closed.set(ask.askId, 'decided');
            return { kind: 'approved', decisions: counted };
          }
          await onStage({ stage: 'approval', decision, approvals });
          continue;
        }
        if (Date.now() >= ask.expiresAtMs) {
          this.closed.set(ask.askId, 'expired');
          return { kind: 'expired' };
        }
        const timer = timers.shift();
        if (timer) {
          if (timer.stage === 'escalation') slot.escalated = true;
          await onStage({ stage: timer.stage, approvals: counted.length });
        }
      }
    } finally {
      this.open.delete(ask.askId);
      if (!this.closed.has(ask.askId)) this.closed.set(ask.askId, 'withdrawn');
    }
  }

  /** Waits for decide handlers still verifying, so none is cut off when the workflow ends. */
  async drain(): Promise<void> {
    await condition(allHandlersFinished);
  }

  /**
   * What can be refused without trusting anything in the update (the validator: refused updates never enter
   * history): it names no ask that is open now.
   */
  /**
   * What can be refused without the key, before Temporal records anything (a rejected update leaves no event, and
   * costs no check and no audit entry): a decision with no proof at all, or one made for another workflow or
   * tenant. Validator only: histories recorded such updates as accepted before, and must replay as they were.
   */
  private assertSigned(raw: unknown): void {
    const d = (typeof raw === 'object' && raw !== null ? raw : {}) as { proof?: unknown; workflow_id?: unknown; tenant?: { org_id?: unknown; project_id?: unknown } };
    const proof = (typeof d.proof === 'object' && d.proof !== null ? d.proof : {}) as Record<string, unknown>;
    if (!['key_id', 'nonce', 'signed_at', 'signature'].every((field) => typeof proof[field] === 'string')) {
      reject('the decision carries no NEXUS proof; decide through the NEXUS API', DECIDE_REJECTIONS.unsigned);
    }
    const { tenant } = this.input;
    if (d.workflow_id !== workflowInfo().workflowId || d.tenant?.org_id !== tenant.org_id || d.tenant.project_id !== tenant.project_id) {
      reject('the decision proof was made for another command', DECIDE_REJECTIONS.foreign);
    }
  }

  private precheck(raw: unknown): void {
    const askId = typeof raw === 'object' && raw !== null ? (raw as { ask_id?: unknown }).ask_id : undefined;
    if (typeof askId !== 'string') reject('a decision names its ask_id', DECIDE_REJECTIONS.unknownAsk);
    const closed = this.closed.get(askId);
    if (closed === 'decided') this.alreadyDecided(raw, 'ask already decided');
    if (closed === 'expired') reject('ask expired', DECIDE_REJECTIONS.expired);
    if (closed === 'withdrawn') this.alreadyDecided(raw, 'ask withdrawn: its plan or command ended without a decision on it');
    if (this.open.size === 0) reject('the ask is not open (yet)', DECIDE_REJECTIONS.notReady);
    const slot = this.open.get(askId);
    if (slot === undefined) reject(this.announced.has(askId) ? 'the ask is not open (yet)' : 'no such ask', this.announced.has(askId) ? DECIDE_REJECTIONS.notReady : DECIDE_REJECTIONS.unknownAsk);
    if (Date.now() >= slot.ask.expiresAtMs) reject('ask expired', DECIDE_REJECTIONS.expired);
  }

  /**
   * Refuses a decision that comes too late. When the same person's same decision already counted (their retry
   * after an error reached Temporal under another update id), the refusal says so, and the API answers that
   * retry 202: a decision that counted is never reported as refused. Nothing here trusts the update's claims;
   * the answer changes nothing.
   */
  private alreadyDecided(raw: unknown, message: string): never {
    const d = raw as Partial<DecideInput>;
    const same = this.counted.get(String(d.ask_id))?.some((c) => c.decided_by === d.decided_by && c.decision === d.decision
      && c.action_digest === d.action_digest && JSON.stringify(c.params) === JSON.stringify(d.params));
    reject(same ? 'this decision already counted' : message, same ? DECIDE_REJECTIONS.alreadyCounted : DECIDE_REJECTIONS.alreadyDecided);
  }

  /** The rules, applied to a verified decision; answers the open ask it counts for. */
  private validate(d: DecideInput): AskSlot {
    const { tenant, requested_by: requestedBy } = this.input;
    const slot = this.open.get(d.ask_id);
    if (slot === undefined) reject('the ask is not open (yet)', DECIDE_REJECTIONS.notReady);
    const { ask: open, received, approvers } = slot;
    if (d.tenant.org_id !== tenant.org_id || d.tenant.project_id !== tenant.project_id) reject('no such ask', DECIDE_REJECTIONS.unknownAsk);
    if (this.nonces.has(d.proof.nonce)) reject('this decision proof was already used', DECIDE_REJECTIONS.replayed);
    const allowed = d.roles.includes('approver') || (slot.escalated && d.roles.includes('admin'));
    if (!allowed) reject(slot.escalated ? 'only approvers and admins may decide' : 'only approvers may decide', DECIDE_REJECTIONS.notAllowed);
    if (received.some((r) => r.decision === 'deny' || r.params !== undefined) || approvers.size >= open.approval.quorum) {
      this.alreadyDecided(d, 'ask already decided');
    }
    if (approvers.has(d.decided_by) || received.some((r) => r.decided_by === d.decided_by)) {
      this.alreadyDecided(d, `${d.decided_by} already decided this ask`);
    }
    if (d.decision === 'approve' && open.excluded.includes(d.decided_by)) {
      reject('the editor of an action may not approve it', DECIDE_REJECTIONS.separationOfDuties);
    }
    if (open.approval.separation_of_duties && d.decision === 'approve' && d.decided_by === requestedBy) {
      reject('the requester may not approve their own command', DECIDE_REJECTIONS.separationOfDuties);
    }
    if (d.params !== undefined && (d.decision !== 'approve' || open.approval.quorum > 1)) {
      reject('edit and approve is not possible when several approvals are needed', DECIDE_REJECTIONS.editWithQuorum);
    }
    if (d.action_digest !== open.digest) {
      reject('action_digest does not match the action awaiting approval', DECIDE_REJECTIONS.digestMismatch);
    }
    return slot;
  }
}

function reject(message: string, type: string): never {
  throw ApplicationFailure.create({ message, type, nonRetryable: true });
}
