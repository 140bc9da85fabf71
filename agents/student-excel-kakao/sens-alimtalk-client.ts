import { AgentError } from '../agent-error.js';
import { formatKst, sensAuthHeaders } from './sens-signature.js';

/** SENS takes at most 100 messages per send request. */
export const SENS_MAX_BATCH = 100;
/** Enough pages for a reconciliation window of a few batches; more means something else is going on. */
const MAX_LIST_PAGES = 50;

export interface SensSettings {
  baseUrl: string;
  accessKey: string;
  secretKey: string;
  serviceId: string;
  plusFriendId: string;
  timeoutMs: number;
}

export interface OutgoingMessage {
  to: string;
  content: string;
  /** Web-link buttons, as the message's template declares them (an approval notice's "review" button). */
  buttons?: Array<{ type: 'WL'; name: string; linkMobile: string; linkPc: string }>;
}

export interface SensMessageResult {
  to: string;
  content?: string;
  messageId?: string;
  requestStatusCode?: string;
  requestStatusName?: string;
}

export interface SendResult {
  requestId: string;
  messages: SensMessageResult[];
}

/**
 * NAVER Cloud SENS, Biz Message AlimTalk v2: `POST /alimtalk/v2/services/{serviceId}/messages` to send (≤100
 * messages; answered 202 with a requestId and one status per message) and `GET` on the same path to list what was
 * requested in a time window (how a crashed send is reconciled). Every call is signed (see sens-signature.ts).
 */
export class SensAlimtalkClient {
  private readonly path: string;

  constructor(private readonly settings: SensSettings, private readonly now: () => number = Date.now) {
    // Service ids look like `ncp:kkobizmsg:kr:2712345:school`; sent and signed as they are.
    if (!/^[A-Za-z0-9:._-]+$/.test(settings.serviceId)) throw new AgentError('sens_not_configured', 'SENS_ALIMTALK_SERVICE_ID has unexpected characters', false);
    this.path = `/alimtalk/v2/services/${settings.serviceId}/messages`;
  }

  async send(input: { templateCode: string; messages: OutgoingMessage[]; batchKey: string; signal: AbortSignal }): Promise<SendResult> {
    if (input.messages.length === 0 || input.messages.length > SENS_MAX_BATCH) throw new Error(`a SENS batch holds 1..${SENS_MAX_BATCH} messages`);
    const body = {
      plusFriendId: this.settings.plusFriendId,
      templateCode: input.templateCode,
      messages: input.messages.map((m) => ({ countryCode: '82', to: m.to, content: m.content, ...(m.buttons ? { buttons: m.buttons } : {}) })),
    };
    // SENS has no idempotency header; the key is sent for the provider's logs and ours, and exactly-once comes
    // from the delivery ledger (see README).
    const response = await this.request('POST', this.path, input.signal, body, { 'x-nexus-batch-key': input.batchKey });
    const parsed = (await response.json().catch(() => undefined)) as { requestId?: unknown; messages?: SensMessageResult[] } | undefined;
    if (typeof parsed?.requestId !== 'string') throw new AgentError('sens_bad_response', 'SENS accepted the batch but sent no requestId', true);
    return { requestId: parsed.requestId, messages: Array.isArray(parsed.messages) ? parsed.messages : [] };
  }

  /** Messages requested through this channel and template between `fromMs` and `toMs`, every page. */
  async listRequested(input: { templateCode: string; fromMs: number; toMs: number; signal: AbortSignal }): Promise<SensMessageResult[]> {
    const found: SensMessageResult[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = encodeQuery({
        plusFriendId: this.settings.plusFriendId,
        templateCode: input.templateCode,
        requestStartTime: formatKst(input.fromMs),
        requestEndTime: formatKst(input.toMs),
        pageSize: '100',
        ...(nextToken ? { nextToken } : {}),
      });
      const response = await this.request('GET', `${this.path}?${query}`, input.signal);
      // SENS answers an empty 404 when nothing matches.
      if (response.status === 404) return found;
      const parsed = (await response.json().catch(() => undefined)) as { messages?: SensMessageResult[]; nextToken?: string } | undefined;
      found.push(...(parsed?.messages ?? []));
      nextToken = parsed?.nextToken || undefined;
      if (!nextToken) return found;
    }
    throw new AgentError('sens_bad_response', `SENS listed more than ${MAX_LIST_PAGES} pages for one reconciliation window`, true);
  }

  private async request(method: 'GET' | 'POST', pathWithQuery: string, signal: AbortSignal, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    const headers = {
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...sensAuthHeaders({ method, pathWithQuery, timestamp: String(this.now()), accessKey: this.settings.accessKey, secretKey: this.settings.secretKey }),
      ...extra,
    };
    let response: Response;
    try {
      response = await fetch(new URL(pathWithQuery, this.settings.baseUrl), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.settings.timeoutMs)]),
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new AgentError('sens_unreachable', `could not reach SENS: ${(err as Error).message}`, true);
    }
    if (response.ok || (method === 'GET' && response.status === 404)) return response;
    const text = (await response.text().catch(() => '')).slice(0, 300);
    const retryable = response.status === 429 || response.status >= 500;
    throw new AgentError(retryable ? 'sens_unavailable' : 'sens_rejected', `SENS answered ${response.status} to ${method}: ${text}`, retryable);
  }
}

/** Percent-encodes each value (space as %20, not +) so the signed query is exactly the sent one. */
function encodeQuery(params: Record<string, string>): string {
  return Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
