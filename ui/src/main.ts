import type { GapEvent, Report, Tenant } from '../../contracts/index.js';
import { Announcer } from './announcer.js';
import { mountComposer } from './composer.js';
import { readConfig, type UiConfig } from './config.js';
import { ConnectionView } from './connection-view.js';
import { byId } from './element.js';
import { Inbox } from './inbox.js';
import { DashboardState } from './state.js';
import { StreamClient, type ConnectionState } from './stream-client.js';
import type { SseMessage } from './sse-parser.js';
import { initialTenant, isTenant, rememberTenant } from './tenant.js';
import { storedToken, storeToken } from './token.js';
import { Timeline } from './timeline.js';

const config: UiConfig = readConfig();
const state = new DashboardState();
let tenant: Tenant = initialTenant();
let client: StreamClient | undefined;

const connection = new ConnectionView(byId('connection'), byId('gap-banner'), byId('outage-banner'));
const timeline = new Timeline(byId('timeline-body'), state, config, () => tenant);
const inbox = new Inbox(byId('inbox-body'), state, () => tenant);
const announcer = new Announcer(byId<HTMLButtonElement>('notify'));
const inboxCount = byId('inbox-count');
mountComposer(byId('composer-body'), state, () => tenant);
const temporalAll = byId<HTMLAnchorElement>('temporal-all');
if (config.temporalUiUrl) temporalAll.href = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows`;
else temporalAll.hidden = true;

state.subscribe((changes) => {
  timeline.update(changes.commands);
  if (changes.asksChanged) {
    inbox.update();
    inboxCount.textContent = String(state.asks.size);
    inboxCount.dataset.count = String(state.asks.size);
    announcer.pendingCount(state.asks.size, `${tenant.org_id}/${tenant.project_id}`);
  }
  announcer.newAsks(changes.newAsks);
});

function onMessage(msg: SseMessage): void {
  if (msg.event === 'gap') {
    connection.gap(JSON.parse(msg.data) as GapEvent);
    return;
  }
  if (msg.event !== 'report' || msg.id === undefined) return;
  let report: Report;
  try {
    report = JSON.parse(msg.data) as Report;
  } catch {
    return;
  }
  // The stream is already per tenant; this guards against a late event from a stream being switched away from.
  if (report.org_id !== tenant.org_id || report.project_id !== tenant.project_id) return;
  state.applyReport(msg.id, report);
}

function onState(s: ConnectionState): void {
  connection.show(s);
  if (s.kind === 'live') timeline.caughtUp();
  else if (s.kind === 'reconnecting') timeline.notLoaded(s.cause);
  else if (s.kind === 'offline') timeline.notLoaded(s.reason);
}

/** Switching tenant starts from nothing: a new stream without a cursor replays that tenant's whole history. */
function open(next: Tenant): void {
  client?.stop();
  tenant = next;
  rememberTenant(next);
  state.reset();
  timeline.clear();
  inbox.clear();
  inbox.useToken(storedToken() !== '');
  connection.clearGap();
  connection.reset();
  inboxCount.textContent = '0';
  inboxCount.dataset.count = '0';
  announcer.pendingCount(0, `${next.org_id}/${next.project_id}`);
  const stream = new StreamClient((cursor) => {
    const q = new URLSearchParams({ org_id: next.org_id, project_id: next.project_id });
    if (cursor) q.set('cursor', cursor);
    return `/agent/reports/stream?${q}`;
  }, { message: onMessage, state: onState });
  client = stream;
  stream.start();
}

const tenantForm = byId<HTMLFormElement>('tenant-form');
const orgInput = byId<HTMLInputElement>('org');
const projectInput = byId<HTMLInputElement>('project');
const tokenInput = byId<HTMLInputElement>('token');
tokenInput.value = storedToken();
orgInput.value = tenant.org_id;
projectInput.value = tenant.project_id;
tenantForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const next = { org_id: orgInput.value.trim(), project_id: projectInput.value.trim() };
  if (!isTenant(next)) {
    tenantForm.reportValidity();
    return;
  }
  const token = tokenInput.value.trim();
  const tokenChanged = token !== storedToken();
  if (tokenChanged) storeToken(token);
  if (tokenChanged || next.org_id !== tenant.org_id || next.project_id !== tenant.project_id || !client) open(next);
});

open(tenant);
