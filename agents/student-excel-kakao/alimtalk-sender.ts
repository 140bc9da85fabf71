import { sleep } from '../../infra/backoff.js';
import type { AgentContext } from '../agent.js';
import { AgentError } from '../agent-error.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { Recipient } from './recipients.js';
import type { SensAlimtalkClient } from './sens-alimtalk-client.js';

/** SENS's "accepted" code for one message of a send request. */
const ACCEPTED = 'A000';
/** How far around a pending batch's start the provider is searched: clock skew and request time. */
const RECONCILE_MARGIN_MS = 2 * 60_000;

export interface SenderOptions {
  client: SensAlimtalkClient;
  ledger: DeliveryLedger;
  templateCode: string;
  batchSize: number;
  messagesPerSecond: number;
}

export interface AlimtalkOutcome {
  sent: number;
  rejected: Array<{ row: number; code: string }>;
  batches: number;
  request_ids: string[];
  /** Recipients found already delivered at the provider after a crash, so not sent again. */
  reconciled: number;
  resumed_at_batch: number | null;
}

/**
 * Sends batch after batch, each recorded in the ledger before (pending) and after (sent) it goes out, with a
 * heartbeat and a task_progress report per confirmed batch. A retried attempt skips confirmed batches; a batch left
 * pending by a crash is reconciled against the provider's own list of requests, and only recipients the provider
 * does not have are sent. So a recipient is sent once, and none is skipped.
 */
export async function sendAlimtalk(recipients: readonly Recipient[], options: SenderOptions, ctx: AgentContext): Promise<AlimtalkOutcome> {
  const { client, ledger, templateCode } = options;
  const stepKey = ctx.idempotencyKey;
  const claim = await ledger.claim(stepKey, ctx.attempt, `${options.batchSize}:${recipients.length}`);
  if (!claim.owned) throw new AgentError('attempt_superseded', 'a later attempt of this step owns the delivery', false);
  const [batchSize, count] = claim.plan.split(':').map(Number);
  if (!batchSize || count !== recipients.length) throw new AgentError('ledger_mismatch', 'the recipients differ from the first attempt of this step', false);

  const batches: Recipient[][] = [];
  for (let i = 0; i < recipients.length; i += batchSize) batches.push(recipients.slice(i, i + batchSize));
  if (batches.length > 1000) throw new AgentError('too_many_batches', `${batches.length} batches; at most 1000 per command`, false);

  const keyOf = (r: Recipient) => `${stepKey}:${r.row}`;
  const heartbeatConfirmed = confirmedFromHeartbeat(ctx.heartbeatDetails);
  const pace = pacer(options.messagesPerSecond, ctx.signal);
  let sent = 0;
  let reconciled = 0;
  let resumedAt: number | null = null;

  for (const [n, batch] of batches.entries()) {
    if (n <= heartbeatConfirmed) {
      sent += batch.length;
      continue;
    }
    // Alive before every slow part (reconciliation, pacing, the send): a silent attempt would be timed out and
    // retried while it is still sending. The details stay "last confirmed batch", the resume point.
    ctx.heartbeat({ confirmed: n - 1 });
    const begun = await ledger.begin(stepKey, n, ctx.attempt, Date.now());
    if (begun.kind === 'fenced') throw new AgentError('attempt_superseded', 'a later attempt of this step owns the delivery', false);
    let toSend = batch;
    let resentAfterCrash = false;
    if (begun.kind === 'known') {
      if (begun.entry.state === 'sent') {
        sent += batch.length;
        continue;
      }
      // Pending: an earlier attempt may or may not have reached the provider. Ask the ledger, then the provider.
      resumedAt ??= n;
      toSend = await undelivered(batch, begun.entry.at, { ledger, client, templateCode, stepKey, keyOf, signal: ctx.signal });
      reconciled += batch.length - toSend.length;
      resentAfterCrash = true;
      ctx.logger.warn({ batch: n, in_doubt: batch.length, found_at_provider: batch.length - toSend.length }, 'reconciled a batch left pending by an earlier attempt');
    }

    let requestId: string | null = null;
    const rejected: Array<{ row: number; code: string }> = [];
    if (toSend.length > 0) {
      await pace(toSend.length);
      ctx.heartbeat({ confirmed: n - 1 });
      const result = await client.send({
        templateCode,
        messages: toSend.map((r) => ({ to: r.phone, content: r.message })),
        batchKey: `${stepKey}:batch-${n}${resentAfterCrash ? `:attempt-${ctx.attempt}` : ''}`,
        signal: ctx.signal,
      });
      requestId = result.requestId;
      for (const [i, message] of result.messages.entries()) {
        const recipient = toSend[i];
        if (recipient && message.requestStatusCode && message.requestStatusCode !== ACCEPTED) rejected.push({ row: recipient.row, code: message.requestStatusCode });
      }
    }
    await ledger.finishBatch(stepKey, n, { state: 'sent', at: Date.now(), request_id: requestId, rejected }, toSend.map(keyOf));
    sent += batch.length;
    ctx.heartbeat({ confirmed: n });
    ctx.logger.info({ batch: n, sent, total: recipients.length, request_id: requestId }, 'alimtalk batch confirmed');
    await ctx.progress({ index: n, message: `알림톡 ${sent}/${recipients.length}건 발송`, done: sent, total: recipients.length });
  }

  const entries = await ledger.batches(stepKey);
  const sentEntries = [...entries.values()].flatMap((e) => (e.state === 'sent' ? [e] : []));
  return {
    sent,
    rejected: sentEntries.flatMap((e) => e.rejected),
    batches: batches.length,
    request_ids: sentEntries.flatMap((e) => (e.request_id ? [e.request_id] : [])),
    reconciled,
    resumed_at_batch: resumedAt,
  };
}

/** Recipients of a pending batch that neither the ledger nor the provider knows as delivered. */
async function undelivered(
  batch: Recipient[],
  pendingSince: number,
  deps: { ledger: DeliveryLedger; client: SensAlimtalkClient; templateCode: string; stepKey: string; keyOf: (r: Recipient) => string; signal: AbortSignal },
): Promise<Recipient[]> {
  const confirmed = await deps.ledger.confirmedAmong(deps.stepKey, batch.map(deps.keyOf));
  const open = batch.filter((r) => !confirmed.has(deps.keyOf(r)));
  if (open.length === 0) return [];
  const listed = await deps.client.listRequested({
    templateCode: deps.templateCode,
    fromMs: pendingSince - RECONCILE_MARGIN_MS,
    toMs: Date.now() + RECONCILE_MARGIN_MS,
    signal: deps.signal,
  });
  // A message is the provider's if the same number got the same text in the window; the plan has no two rows with
  // the same number and text, so inside one command this cannot confuse two recipients.
  const atProvider = new Set(listed.map((m) => `${m.to}\n${m.content ?? ''}`));
  const found = open.filter((r) => atProvider.has(`${r.phone}\n${r.message}`));
  await deps.ledger.confirmRecipients(deps.stepKey, found.map(deps.keyOf));
  return open.filter((r) => !atProvider.has(`${r.phone}\n${r.message}`));
}

function confirmedFromHeartbeat(details: unknown): number {
  const confirmed = (details as { confirmed?: unknown } | undefined)?.confirmed;
  return typeof confirmed === 'number' && Number.isInteger(confirmed) ? confirmed : -1;
}

/** Keeps the send rate at or under `perSecond` messages, whatever the batch sizes. */
function pacer(perSecond: number, signal: AbortSignal): (messages: number) => Promise<void> {
  let nextAt = 0;
  return async (messages) => {
    const wait = nextAt - Date.now();
    if (wait > 0) await sleep(wait, signal);
    // A cancelled activity stops here rather than sending another batch.
    signal.throwIfAborted();
    nextAt = Date.now() + (messages * 1000) / perSecond;
  };
}


