import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';
import { PolicyError } from '../../infra/files/policy-store.js';
import { closeLocally, listenLocally } from '../../test/support/local-server.js';
import type { AgentContext } from '../agent.js';
import { AgentError } from '../agent-error.js';
import { createExternalShareAgent } from './external-share-agent.js';
import { ShareAllowlist } from './share-allowlist.js';

/** A real local server that records the request line it got and answers with `status` (and a Location for 3xx). */
class Recorder {
  readonly paths: string[] = [];
  server: Server | undefined;
  origin = '';
  constructor(private readonly status = 200, private readonly location?: () => string) {}
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.paths.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(this.status, this.location ? { location: this.location() } : {}).end());
    });
    this.origin = await listenLocally(this.server);
    return this;
  }
}

const tenant = { org_id: 'acme', project_id: 'unit' };
const logger = createLogger('silent');
const ctx = (): AgentContext => ({
  idempotencyKey: 'k1', correlationId: 'c1', workflowId: 'w1', tenant, attempt: 1, signal: new AbortController().signal, logger,
  heartbeat: () => undefined, heartbeatDetails: undefined, progress: async () => undefined, llm: undefined,
});
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err as AgentError);

let inbox: Recorder;
let elsewhere: Recorder;
let redirector: Recorder;
beforeAll(async () => {
  inbox = await new Recorder().start();
  elsewhere = await new Recorder().start();
  redirector = await new Recorder(302, () => `${elsewhere.origin}/stolen`).start();
});
afterAll(async () => {
  for (const r of [inbox, elsewhere, redirector]) await closeLocally(r?.server);
});

describe('external_share agent', () => {
  const agentFor = (entries: string[], tenantList?: string[] | (() => never)) =>
    createExternalShareAgent(new ShareAllowlist(entries), {
      timeoutMs: 2_000,
      ...(tenantList ? { tenantAllowlist: async () => (typeof tenantList === 'function' ? tenantList() : tenantList) } : {}),
    });

  it('refuses another port or path at submission, with the normalized destination in the message', () => {
    const agent = agentFor([`${inbox.origin}/inbox`]);
    const otherPort = agent.params.safeParse({ url: `${elsewhere.origin}/inbox`, payload: 1 });
    expect(otherPort.success).toBe(false);
    expect(otherPort.error?.issues[0]?.message).toContain(`${elsewhere.origin}/inbox is not on NEXUS_SHARE_ALLOWLIST`);
    expect(agent.params.safeParse({ url: `${inbox.origin}/other`, payload: 1 }).success).toBe(false);
    expect(agent.params.safeParse({ url: `${inbox.origin}/inbox-evil`, payload: 1 }).success).toBe(false);
    expect(agent.params.safeParse({ url: `${inbox.origin}/inbox/%2e%2e/admin`, payload: 1 }).success).toBe(false);
    expect(agent.params.safeParse({ url: `${inbox.origin}/inbox/x`, payload: 1 }).success).toBe(true);
  });

  it('previews the exact destination and the entries that allow it', async () => {
    const agent = agentFor([`${inbox.origin}/inbox`], [`${inbox.origin}/inbox/`]);
    const preview = await agent.preview?.({ url: `${inbox.origin.toUpperCase()}/inbox/./%72eport?x=1#frag`, payload: { a: 1 } }, { tenant, logger });
    const port = Number(new URL(inbox.origin).port);
    expect(preview?.title).toBe(`Share data with 127.0.0.1:${port}`);
    expect(preview?.description).toContain(`POST 7 bytes of JSON to http://127.0.0.1:${port}/inbox/report?x=1 `);
    expect(preview?.details).toEqual({
      destination: { url: `http://127.0.0.1:${port}/inbox/report?x=1`, scheme: 'http', host: '127.0.0.1', port, path: '/inbox/report', query: '?x=1' },
      allowed_by: [`http://127.0.0.1:${port}/inbox`, `http://127.0.0.1:${port}/inbox/`],
    });
  });

  it("refuses in the preview what the project's list does not allow, before anyone is asked", async () => {
    const agent = agentFor([inbox.origin], [`${inbox.origin}/inbox`]);
    const err = await failure(agent.preview!({ url: `${inbox.origin}/other`, payload: 1 }, { tenant, logger }));
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'destination_not_allowed', retryable: false });
  });

  it('POSTs to the normalized path that was matched and shown', async () => {
    const agent = agentFor([`${inbox.origin}/inbox`]);
    const result = await agent.run({ url: `${inbox.origin}/inbox/a/../%62`, payload: { a: 1 } }, ctx());
    expect(result).toMatchObject({ delivered: true, status: 200, url: `${inbox.origin}/inbox/b` });
    expect(inbox.paths.at(-1)).toBe('/inbox/b');
  });

  it('does not follow a redirect, even to a destination that is allowlisted', async () => {
    const before = elsewhere.paths.length;
    const agent = agentFor([redirector.origin, elsewhere.origin]);
    const err = await failure(agent.run({ url: `${redirector.origin}/hook`, payload: 1 }, ctx()));
    expect(err).toMatchObject({ code: 'share_rejected', retryable: false });
    expect(err?.message).toMatch(/redirects are not followed/);
    expect(elsewhere.paths.length).toBe(before);
  });

  it('refuses at connect time an allowlisted name that resolves to an internal address not named by IP', async () => {
    const port = new URL(inbox.origin).port;
    const before = inbox.paths.length;
    const agent = agentFor([`http://localhost:${port}`, `http://127.0.0.1:${port}/elsewhere`]);
    const err = await failure(agent.run({ url: `http://localhost:${port}/hook`, payload: 1 }, ctx()));
    expect(err).toMatchObject({ code: 'destination_not_allowed', retryable: false });
    expect(inbox.paths.length).toBe(before);
  });

  it('fails with policy_invalid when the policy file is broken at run time', async () => {
    const agent = agentFor([inbox.origin], () => {
      throw new PolicyError('policies/acme/unit.json: share_allowlist.0 bad');
    });
    const err = await failure(agent.run({ url: `${inbox.origin}/x`, payload: 1 }, ctx()));
    expect(err).toMatchObject({ code: 'policy_invalid', retryable: false });
  });
});
