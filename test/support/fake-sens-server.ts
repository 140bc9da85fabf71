import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeLocally, listenLocally } from './local-server.js';

export interface SensCredentials {
  accessKey: string;
  secretKey: string;
  serviceId: string;
  plusFriendId: string;
}

export interface AcceptedMessage {
  requestId: string;
  requestTime: string;
  batchKey: string | undefined;
  plusFriendId: string;
  templateCode: string;
  to: string;
  content: string;
  buttons?: Array<{ type: string; name: string; linkMobile: string; linkPc: string }>;
}

/**
 * A real local HTTP server speaking NAVER Cloud SENS AlimTalk v2: `POST /alimtalk/v2/services/{serviceId}/messages`
 * (≤100 messages, answered 202 with a requestId) and `GET` on the same path (the request list, by time window, with
 * nextToken paging). Every call must carry a valid API Gateway v2 signature, computed here independently.
 * A message counts as delivered when its request is received, before the (optional) slow answer: like the real
 * provider, a client that dies waiting has still sent it.
 */
export class FakeSensServer {
  readonly accepted: AcceptedMessage[] = [];
  readonly rejectedSignatures: string[] = [];
  /** Milliseconds to wait before answering a send. */
  delayMs = 0;
  /** Statuses to answer the next sends with, without recording them. */
  failNext: number[] = [];
  listCalls = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly credentials: SensCredentials) {}

  /** The `SENS_*` variables that point a NEXUS at this server (start it first), sending as fast as it may. */
  env(templateCode: string): Record<string, string> {
    return {
      SENS_BASE_URL: this.url,
      SENS_ACCESS_KEY: this.credentials.accessKey,
      SENS_SECRET_KEY: this.credentials.secretKey,
      SENS_ALIMTALK_SERVICE_ID: this.credentials.serviceId,
      SENS_PLUS_FRIEND_ID: this.credentials.plusFriendId,
      SENS_TEMPLATE_CODE: templateCode,
      SENS_RATE_LIMIT_PER_SEC: '1000',
    };
  }

  deliveriesTo(phone: string): number {
    return this.accepted.filter((m) => m.to === phone).length;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => json(res, 500, { error: String(err) }));
    });
    this.url = await listenLocally(this.server);
    return this.url;
  }

  stop(): Promise<void> {
    return closeLocally(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const path = `/alimtalk/v2/services/${this.credentials.serviceId}/messages`;
    const url = req.url ?? '';
    if (url.split('?')[0] !== path) return json(res, 404, { error: 'no such path' });
    const denied = this.checkSignature(req);
    if (denied) {
      this.rejectedSignatures.push(denied);
      return json(res, 401, { error: { errorCode: '200', message: 'Authentication Failed', details: denied } });
    }
    if (req.method === 'POST') return this.send(req, res, raw);
    if (req.method === 'GET') return this.list(res, new URL(url, 'http://x').searchParams);
    return json(res, 405, {});
  }

  private checkSignature(req: IncomingMessage): string | undefined {
    const timestamp = String(req.headers['x-ncp-apigw-timestamp'] ?? '');
    const accessKey = String(req.headers['x-ncp-iam-access-key'] ?? '');
    const signature = String(req.headers['x-ncp-apigw-signature-v2'] ?? '');
    if (Math.abs(Date.now() - Number(timestamp)) > 5 * 60_000) return 'timestamp missing or more than 5 minutes off';
    if (accessKey !== this.credentials.accessKey) return 'unknown access key';
    const expected = createHmac('sha256', this.credentials.secretKey).update(`${req.method} ${req.url}\n${timestamp}\n${accessKey}`).digest('base64');
    return signature === expected ? undefined : 'signature mismatch';
  }

  private async send(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const body = JSON.parse(raw || '{}') as { plusFriendId?: unknown; templateCode?: unknown; messages?: Array<{ to?: unknown; content?: unknown; buttons?: AcceptedMessage['buttons'] }> };
    const messages = Array.isArray(body.messages) ? body.messages : [];
    if (body.plusFriendId !== this.credentials.plusFriendId || typeof body.templateCode !== 'string' || messages.length < 1 || messages.length > 100
      || !messages.every((m) => typeof m.to === 'string' && /^\d+$/.test(m.to) && typeof m.content === 'string')) {
      return json(res, 400, { error: { errorCode: '400', message: 'Bad Request' } });
    }
    const status = this.failNext.shift();
    if (status !== undefined) return json(res, status, { error: { errorCode: String(status), message: 'scripted failure' } });
    const requestId = `RAAA-${randomUUID()}`;
    const requestTime = kst(Date.now());
    const batchKey = req.headers['x-nexus-batch-key'] as string | undefined;
    for (const m of messages) {
      this.accepted.push({ requestId, requestTime, batchKey, plusFriendId: body.plusFriendId, templateCode: body.templateCode, to: String(m.to), content: String(m.content), ...(m.buttons ? { buttons: m.buttons } : {}) });
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    json(res, 202, {
      requestId,
      requestTime,
      statusCode: '202',
      statusName: 'success',
      messages: messages.map((m) => ({
        messageId: randomUUID(), countryCode: '82', to: m.to, content: m.content,
        requestStatusCode: 'A000', requestStatusName: 'success', requestStatusDesc: '성공', useSmsFailover: false,
      })),
    });
  }

  private list(res: ServerResponse, query: URLSearchParams): void {
    this.listCalls++;
    const from = query.get('requestStartTime') ?? '';
    const to = query.get('requestEndTime') ?? '';
    if (query.get('plusFriendId') !== this.credentials.plusFriendId || !from || !to) return json(res, 400, { error: { errorCode: '400', message: 'Bad Request' } });
    const templateCode = query.get('templateCode');
    const matching = this.accepted.filter((m) => m.requestTime >= from && m.requestTime <= to && (!templateCode || m.templateCode === templateCode));
    const offset = Number(query.get('nextToken') ?? '0');
    const pageSize = Math.min(100, Number(query.get('pageSize') ?? '20'));
    const page = matching.slice(offset, offset + pageSize);
    if (page.length === 0) {
      res.writeHead(404).end();
      return;
    }
    json(res, 200, {
      statusCode: '202',
      statusName: 'success',
      messages: page.map((m) => ({ requestId: m.requestId, requestTime: m.requestTime, plusFriendId: m.plusFriendId, templateCode: m.templateCode, to: m.to, content: m.content, requestStatusCode: 'A000' })),
      ...(offset + pageSize < matching.length ? { nextToken: String(offset + pageSize) } : {}),
    });
  }
}

function kst(ms: number): string {
  return new Date(ms + 9 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
