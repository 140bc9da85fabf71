import type { GapEvent, Report, Tenant } from '../../contracts/index.js';
import { Announcer } from './announcer.js';
import { mountComposer } from './composer.js';
import { FileChoices } from './file-choices.js';
import { FilePanel } from './file-panel.js';
import { StandingPanel } from './standing-panel.js';
import { readConfig, temporalListUrl, type UiConfig } from './config.js';
import { detailCorrelationId, renderDetail } from './detail-view.js';
import { HistoryLoader } from './history-loader.js';
import { ConnectionView } from './connection-view.js';
import { byId } from './element.js';
import { Inbox } from './inbox.js';
import { DashboardState } from './state.js';
import { StreamClient, type ConnectionState } from './stream-client.js';
import type { SseMessage } from './sse-parser.js';
import { initialTenant, isTenant, rememberTenant } from './tenant.js';
import { storedToken, storeToken } from './token.js';
import { Timeline, type HistoryView } from './timeline.js';
import { translateShell } from './i18n/shell-text.js';
import { t } from './i18n/locale.js';

const config: UiConfig = readConfig();
translateShell(document, byId<HTMLSelectElement>('lang'));
const state = new DashboardState();
let tenant: Tenant = initialTenant();
let client: StreamClient | undefined;
let history: HistoryLoader | undefined;
let historyView: HistoryView | undefined;
/** Set on `/ui/commands/<correlation_id>`: the page shows that one command, whole, instead of the run list. */
const detailId = detailCorrelationId(location.pathname);

const connection = new ConnectionView(byId('connection'), byId('gap-banner'), byId('outage-banner'));
const timeline = new Timeline(byId('timeline-body'), state, config, () => tenant, () => void history?.older(), detailId !== undefined);
const inbox = new Inbox(byId('inbox-body'), state, () => tenant, () => void standing?.reload());
const announcer = new Announcer(byId<HTMLButtonElement>('notify'));
const inboxCount = byId('inbox-count');
const detailBody = byId('detail-body');
const temporalAll = byId<HTMLAnchorElement>('temporal-all');
const temporalList = detailId === undefined ? temporalListUrl(config) : temporalListUrl(config, `NexusCorrelationId='${detailId}'`);
if (temporalList) temporalAll.href = temporalList;
else temporalAll.hidden = true;
const fileChoices = new FileChoices();
const files = detailId === undefined ? new FilePanel(byId('files-body'), () => tenant, config.maxUploadBytes, fileChoices) : undefined;
const standing = detailId === undefined ? new StandingPanel(byId('standing-body'), () => tenant, () => inbox.callerHeaders()) : undefined;
if (detailId === undefined) {
  mountComposer(byId('composer-body'), state, () => tenant, fileChoices);
} else {
  byId('composer').hidden = true;
  byId('files').hidden = true;
  byId('standing').hidden = true;
  byId('timeline-title').textContent = t.shell.commandTitle(detailId);
  temporalAll.textContent = t.shell.thisInTemporal;
  document.title = `${detailId} · NEXUS`;
  byId('back-to-list').hidden = false;
}

const refreshDetail = (): void => {
  if (detailId !== undefined && historyView) renderDetail(detailBody, detailId, state.commands.get(detailId), historyView, config);
};

state.subscribe((changes) => {
  timeline.update(changes.commands);
  if (detailId !== undefined && changes.commands.has(detailId)) refreshDetail();
  if (changes.asksChanged) {
    inbox.update();
    inboxCount.textContent = String(state.asks.size);
    inboxCount.dataset.count = String(state.asks.size);
    announcer.pendingCount(state.asks.size, `${tenant.org_id}/${tenant.project_id}`);
  }
  announcer.newAsks(changes.newAsks);
});

/** Applies one `report` event, live or from a page of history; returns its stamp when it was new here. */
function applyReport(msg: SseMessage): string | undefined {
  if (msg.event !== 'report' || msg.id === undefined) return undefined;
  let report: Report;
  try {
    report = JSON.parse(msg.data) as Report;
  } catch {
    return undefined;
  }
  // The stream is already per tenant; this guards against a late event from a stream being switched away from.
  if (report.org_id !== tenant.org_id || report.project_id !== tenant.project_id) return undefined;
  const fresh = state.applyReport(msg.id, report);
  if (fresh) noteStandingUse(report);
  return fresh ? report.ts : undefined;
}

/** Commands whose ask a standing approval approved and whose step has not ended yet. */
const approvedAhead = new Set<string>();

/**
 * A standing approval's use is counted where the effect happens, after its `ask_resolved`: the list is read again
 * when that command's step ends, when the count is certainly there.
 */
function noteStandingUse(report: Report): void {
  if (report.report_type === 'ask_resolved' && report.payload.standing_approval_id) approvedAhead.add(report.correlation_id);
  else if ((report.report_type === 'task_completed' || report.report_type === 'task_failed') && approvedAhead.delete(report.correlation_id)) standing?.soon();
}

function onMessage(msg: SseMessage): void {
  if (msg.event === 'gap') {
    connection.gap(JSON.parse(msg.data) as GapEvent);
    return;
  }
  applyReport(msg);
}

function onState(s: ConnectionState): void {
  connection.show(s);
  if (s.kind === 'live') timeline.caughtUp();
  else if (s.kind === 'reconnecting') timeline.notLoaded(s.cause);
  else if (s.kind === 'offline') timeline.notLoaded(s.reason);
}

/**
 * Switching tenant starts from nothing: the newest page of history and every open ask (or, in the detail view, the
 * command's reports from as far back as they go), then the live stream from where the first page ended.
 */
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
  historyView = undefined;
  detailBody.replaceChildren();
  files?.clear();
  void files?.reload();
  standing?.clear();
  approvedAhead.clear();
  void standing?.reload();
  const loader = new HistoryLoader(next, detailId, applyReport, (view) => {
    historyView = view;
    timeline.showHistory(view);
    refreshDetail();
  }, () => detailId !== undefined && (state.commands.get(detailId)?.reports.some((r) => r.report.report_type === 'command_accepted') ?? false));
  history = loader;
  const stream = new StreamClient((cursor) => {
    const q = new URLSearchParams({ org_id: next.org_id, project_id: next.project_id });
    if (cursor) q.set('cursor', cursor);
    if (detailId !== undefined) q.set('correlation_id', detailId);
    return `/agent/reports/stream?${q}`;
  }, { message: onMessage, state: onState }, () => loader.first());
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
