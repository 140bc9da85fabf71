import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DecideInput } from '../contracts/index.js';

/**
 * The decision reaches the workflow as an update, not a signal: the API must know the decision was accepted
 * (validator passed) before it answers 202, and a refused one never enters the history.
 */
export const decideUpdate = defineUpdate<DecideResult, [DecideInput]>('decide');

/** `final`: this decision settled the ask (a deny, or the approval that met the quorum). */
export interface DecideResult {
  accepted: true;
  final: boolean;
}

export interface CommandState {
  status: 'accepted' | 'running' | 'waiting_for_approval' | 'completed' | 'failed' | 'cancelled' | 'expired';
  pending_ask_id: string | null;
}

export const stateQuery = defineQuery<CommandState>('state');

/** Failure types the decide validator uses; the API maps them to 404/409. */
export const DECIDE_REJECTIONS = {
  unknownAsk: 'ask_unknown',
  /** The workflow has not reached its ask yet (a worker is replaying it); the API retries. */
  notReady: 'ask_not_ready',
  alreadyDecided: 'ask_already_decided',
  expired: 'ask_expired',
  digestMismatch: 'digest_mismatch',
  /** The requester may not approve their own command (policy `separation_of_duties`). */
  separationOfDuties: 'separation_of_duties',
  /** The decider lacks the role (approver; admin too once the ask escalated). */
  notAllowed: 'not_allowed',
  /** Edit and approve is refused when more than one approval is needed: each approver must see the same action. */
  editWithQuorum: 'edit_with_quorum',
  /** The worker could not check the proof now (its audit log unreachable); nothing was recorded, retry. */
  unverifiable: 'decision_unverifiable',
} as const;

export const DEFAULT_TASK_QUEUE = 'nexus';
