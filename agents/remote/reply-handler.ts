import { ActivityCancelledError, ActivityNotFoundError, ActivityPausedError, ActivityResetError, type AsyncCompletionClient } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RemoteReply } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';

export type ReplyOutcome = 'done' | 'stale' | 'invalid';

/**
 * Hands a remote agent's reply to Temporal (async activity completion). A reply for an attempt Temporal no
 * longer waits for (it timed out and was retried) is stale: dropped, so a task completes at most once.
 */
export async function handleRemoteReply(raw: Buffer, temporal: AsyncCompletionClient, logger: Logger): Promise<ReplyOutcome> {
  let reply: RemoteReply;
  try {
    const parsed = RemoteReply.safeParse(JSON.parse(raw.toString('utf8')));
    if (!parsed.success) return 'invalid';
    reply = parsed.data;
  } catch {
    return 'invalid';
  }
  const token = Buffer.from(reply.task_token, 'base64');
  try {
    switch (reply.type) {
      case 'heartbeat':
        await temporal.heartbeat(token, reply.details);
        break;
      case 'result':
        await temporal.complete(token, reply.result ?? null);
        break;
      case 'error':
        await temporal.fail(token, ApplicationFailure.create({
          type: reply.error.code,
          message: reply.error.message,
          nonRetryable: !reply.error.retryable,
          details: [{ retryable: reply.error.retryable }],
        }));
        break;
    }
    return 'done';
  } catch (err) {
    // The attempt is over, cancelled, paused or reset: nothing will take this reply, and retrying it would hold
    // up every other agent's replies behind it.
    if (err instanceof ActivityNotFoundError || err instanceof ActivityCancelledError || err instanceof ActivityPausedError || err instanceof ActivityResetError) {
      logger.info({ reply: reply.type }, 'stale remote reply dropped (that attempt is over)');
      return 'stale';
    }
    throw err;
  }
}
