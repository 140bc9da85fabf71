import { t } from './i18n/locale.js';

/** A 4xx that asking again cannot fix (not a timeout, not a rate limit): the client stops and says why. */
export function isFatalStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** What an API error answer says, in its own words when it has them (`{"error":{"message":…}}`). */
export async function errorMessage(response: Response): Promise<string> {
  const fallback = t.connection.serverAnswered(response.status);
  try {
    return errorText(await response.text()) ?? fallback;
  } catch {
    return fallback;
  }
}

/** The message of an API error body (`{"error":{"message":…}}`), if that is what `text` is. */
export function errorText(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' && message !== '' ? message : undefined;
  } catch {
    return undefined;
  }
}
