import type { ChannelModel } from 'amqplib';
import { withDeadline } from './deadline.js';

/** How long one dependency may take to answer a health check. */
export const CHECK_TIMEOUT_MS = 2_000;

export type HealthCheck = () => Promise<void>;

/** `ok`, or what went wrong, within the deadline. */
export async function probe(check: HealthCheck): Promise<string> {
  try {
    await withDeadline(check(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** Runs every check at once: the status, and each check's answer by name. */
export async function runChecks(checks: Record<string, HealthCheck>): Promise<{ ok: boolean; failed: string[]; checks: Record<string, string> }> {
  const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await probe(check)] as const));
  const failed = results.filter(([, result]) => result !== 'ok').map(([name]) => name);
  return { ok: failed.length === 0, failed, checks: Object.fromEntries(results) };
}

/** RabbitMQ answers when a channel opens on the connection; one that opens after the probe gave up is closed, not leaked. */
export async function checkAmqp(connection: Pick<ChannelModel, 'createChannel'>): Promise<void> {
  const opening = connection.createChannel();
  const channel = await withDeadline(opening, CHECK_TIMEOUT_MS).catch((err: unknown) => {
    opening.then((late) => late.close()).catch(() => undefined);
    throw err;
  });
  await channel.close();
}
