import type { Report, ReportOf } from '../../contracts/index.js';
import { temporalListUrl, type UiConfig } from './config.js';
import { h } from './element.js';
import { formatDuration, formatJson, formatWhen } from './format.js';
import type { CommandView } from './state.js';
import type { HistoryView } from './timeline.js';
import { commandTiming } from './timing.js';
import { t } from './i18n/locale.js';
import { CLIENT_KEY_PATTERN } from '../../contracts/client-key-pattern.js';

/** `/ui/commands/<correlation_id>` names the command of the detail view; anything else is the run list. */
export function detailCorrelationId(pathname: string): string | undefined {
  const match = /^\/ui\/commands\/([^/]+)$/.exec(pathname);
  if (!match?.[1]) return undefined;
  try {
    const id = decodeURIComponent(match[1]);
    return CLIENT_KEY_PATTERN.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the detail view adds to the command's card: the time split into waiting for approval and running, the plan
 * of an instruction, and each ask with its action and how it ended. All of it from the command's reports.
 */
export function renderDetail(root: HTMLElement, correlationId: string, command: CommandView | undefined, history: HistoryView, config: UiConfig): void {
  const reports = command?.reports.map((r) => r.report) ?? [];
  if (reports.length === 0) {
    root.replaceChildren(...(history.loaded ? notFound(correlationId, history, config) : []));
    return;
  }
  root.replaceChildren(...[timingSection(reports), planSection(reports), asksSection(reports)].filter((n): n is HTMLElement => n !== undefined));
}

function notFound(correlationId: string, history: HistoryView, config: UiConfig): Node[] {
  const search = temporalListUrl(config, `NexusCorrelationId='${correlationId}'`);
  return [h('div', { class: 'not-found', role: 'note', id: 'detail-not-found' },
    h('p', {}, history.trimmedUpTo !== null ? t.detail.notRetained(correlationId) : t.detail.notFound(correlationId)),
    search
      ? h('p', {}, t.detail.temporalKeeps, h('a', { href: search, target: '_blank', rel: 'noopener', id: 'detail-temporal-search' }, t.detail.temporalSearch(correlationId)))
      : h('p', {}, t.detail.temporalKeeps, h('code', {}, `temporal workflow list --query "NexusCorrelationId='${correlationId}'"`)),
  )];
}

function timingSection(reports: Report[]): HTMLElement | undefined {
  const timing = commandTiming(reports);
  const first = reports[0];
  if (!timing || !first) return undefined;
  const rows: Array<[string, string, string]> = [
    [t.detail.firstReport, formatWhen(first.ts), 'started'],
    [t.detail.waiting, timing.asks > 0 ? formatDuration(timing.waitingMs) : t.detail.noApproval, 'waiting'],
    [t.detail.running, formatDuration(timing.runningMs), 'running'],
    [t.detail.total, formatDuration(timing.totalMs), 'total'],
  ];
  return h('section', { class: 'detail-section timing', 'aria-label': t.detail.timing }, h('h3', {}, t.detail.timing),
    h('dl', {}, ...rows.flatMap(([label, value, key]) => [h('dt', {}, label), h('dd', { 'data-timing': key }, value)])));
}

function planSection(reports: Report[]): HTMLElement | undefined {
  let plan: NonNullable<ReportOf<'task_progress'>['payload']['plan']> | undefined;
  for (const r of reports) if (r.report_type === 'task_progress' && r.payload.plan) plan = r.payload.plan;
  if (!plan) return undefined;
  return h('section', { class: 'detail-section plan', 'aria-label': t.detail.plan(plan.title) }, h('h3', {}, t.detail.plan(plan.title)),
    h('p', { class: 'hint' }, t.detail.suggested(plan.suggested_risk, plan.revision)),
    h('ol', { class: 'plan-calls' }, ...plan.calls.map((call) => h('li', {}, h('span', { class: 'action-agent' }, call.agent), h('pre', { class: 'mono' }, formatJson(call.params))))));
}

function asksSection(reports: Report[]): HTMLElement | undefined {
  const asks = reports.filter((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
  if (asks.length === 0) return undefined;
  return h('section', { class: 'detail-section asks', 'aria-label': t.detail.approvals }, h('h3', {}, t.detail.approvals),
    ...asks.map((ask) => {
      const end = reports.find((r) => (r.report_type === 'ask_resolved' || r.report_type === 'ask_expired') && r.payload.ask_id === ask.payload.ask_id);
      return h('article', { class: 'detail-ask', 'data-ask-id': ask.payload.ask_id },
        h('h4', {}, h('span', { class: `risk risk-${ask.payload.risk_level.toLowerCase()}` }, ask.payload.risk_level), ' ', ask.payload.title),
        h('p', {}, ask.payload.description),
        h('p', {}, t.detail.action, h('span', { class: 'action-agent' }, ask.payload.action.agent)),
        h('pre', { class: 'mono action-params' }, formatJson(ask.payload.action.params)),
        h('p', { class: 'digest mono' }, ask.payload.action_digest),
        h('p', { class: 'ask-outcome', 'data-outcome': outcomeKey(end) }, outcomeText(ask, end)),
      );
    }));
}

function outcomeKey(end: Report | undefined): string {
  if (end?.report_type === 'ask_resolved') return end.payload.withdrawn ? 'withdrawn' : end.payload.decision;
  return end ? 'expired' : 'open';
}

function outcomeText(ask: ReportOf<'ask_created'>, end: Report | undefined): string {
  const waited = (r: Report) => formatDuration(Date.parse(r.ts) - Date.parse(ask.ts));
  if (end?.report_type === 'ask_resolved') {
    const { decision, decided_by, reason, decisions, withdrawn } = end.payload;
    if (withdrawn) return t.detail.withdrawnAfter(waited(end), reason);
    const who = decisions && decisions.length > 1 ? decisions.map((d) => `${d.decided_by} (${d.decision})`).join(', ') : decided_by;
    return (decision === 'approve' ? t.detail.approvedBy : t.detail.deniedBy)(who, waited(end), reason);
  }
  if (end?.report_type === 'ask_expired') return t.detail.expiredAfter(waited(end));
  return t.detail.waitingUntil(formatWhen(ask.payload.expires_at));
}
