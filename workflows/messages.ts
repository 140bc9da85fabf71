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
