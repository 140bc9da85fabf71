import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CommandState, DecideInput, DecideResult } from '../contracts/index.js';

/**
 * The decision reaches the workflow as an update, not a signal: the API must know the decision was accepted
 * (validator passed) before it answers 202, and a refused one never enters the history. Defined once here and
 * imported by the API's gateway too.
 */
export const decideUpdate = defineUpdate<DecideResult, [DecideInput]>('decide');

export const stateQuery = defineQuery<CommandState>('state');
