import type { PageEndEvent } from '../../contracts/index.js';
import { errorMessage, errorText, isFatalStatus } from './error-text.js';
import { SseParser, type SseMessage } from './sse-parser.js';
import { authHeaders } from './token.js';
import { t } from './i18n/locale.js';

export interface StreamPageResult {
  /** The page's `report` events, oldest first. */
  events: SseMessage[];
  end: PageEndEvent;
}

/** A page that takes longer than this is treated like a dropped connection. */
const PAGE_TIMEOUT_MS = 30_000;

/**
 * Reads one bounded page of the report stream (`?limit=` or `?asks=open`) to its `end` event. It throws with the
 * reason in words ("fatal: …" when asking again cannot help: a 4xx), so the caller can show why nothing loaded.
 */
export async function fetchStreamPage(query: URLSearchParams): Promise<StreamPageResult> {
  let response: Response;
  try {
    response = await fetch(`/agent/reports/stream?${query}`, {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      cache: 'no-store',
      signal: AbortSignal.timeout(PAGE_TIMEOUT_MS),
    });
  } catch {
    throw new Error(t.connection.apiUnreachable);
  }
  if (isFatalStatus(response.status)) {
    throw new Error(`fatal: ${await errorMessage(response)}`);
  }
  if (response.status !== 200) throw new Error(await errorMessage(response));
  const events: SseMessage[] = [];
  let end: PageEndEvent | undefined;
  let failure: string | undefined;
  const parser = new SseParser({
    message: (msg) => {
      if (msg.event === 'report') events.push(msg);
      else if (msg.event === 'end') end = JSON.parse(msg.data) as PageEndEvent;
      else if (msg.event === 'error') failure = errorText(msg.data);
    },
    retry: () => undefined,
  });
  try {
    parser.feed(await response.text());
  } catch {
    throw new Error(t.connection.connectionLost);
  }
  if (!end) throw new Error(failure ?? t.connection.pageEndedEarly);
  return { events, end };
}
