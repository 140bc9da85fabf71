import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DecideInput } from '../contracts/index.js';

/**
 * The decision reaches the workflow as an update, not a signal: the API must know the decision was accepted
 * (validator passed) before it answers 202, and a refused one never enters the history.
 */
export const decideUpdate = defineUpdate<{ accepted: true }, [DecideInput]>('decide');

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
} as const;

export const DEFAULT_TASK_QUEUE = 'nexus';
