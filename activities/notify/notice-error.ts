import { NOTIFY_FAILURES, type NotifyFailureCode } from '../../contracts/index.js';

/** Why a notice did not go out; `retryable` says whether another attempt could do better. */
export class NoticeError extends Error {
  constructor(
    readonly code: NotifyFailureCode,
    message: string,
    readonly retryable: boolean,
    /** The receiver's own Retry-After, when it gave one (429). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * A receiver's answer as a failure, or nothing when it took the message. 408 and 429 are "later", other 4xx
 * "never" (a wrong URL or a revoked Slack hook stays wrong), 5xx "later". A redirect is refused: the message, and
 * the link in it, go where the policy says and nowhere else.
 */
export function answerFailure(status: number, retryAfter: string | null, what: string): NoticeError | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 408 || status === 429 || status >= 500) {
    const seconds = Number(retryAfter);
    const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : undefined;
    return new NoticeError(NOTIFY_FAILURES.unavailable, `${what} answered ${status}`, true, retryAfterMs);
  }
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return new NoticeError(NOTIFY_FAILURES.refused, `${what} answered ${status}${redirect}`, false);
}

/** POSTs a body and reads the answer's status; a network fault or a timeout is "later". */
export async function postNotice(url: string, body: string, headers: Record<string, string>, timeoutMs: number, what: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new NoticeError(NOTIFY_FAILURES.unavailable, `${what} could not be reached (${cause})`, true);
  }
  await response.body?.cancel().catch(() => undefined);
  const failure = answerFailure(response.status, response.headers.get('retry-after'), what);
  if (failure) throw failure;
}
