import type { Report } from '../../contracts/index.js';
import { h } from './element.js';
import { formatClock } from './format.js';
import { t } from './i18n/locale.js';

/** One report as a row of its card: sequence, type, the one detail that matters, and when. */
export function reportRow(streamId: string, report: Report): HTMLLIElement {
  return h('li', { class: `report-row type-${report.report_type}`, 'data-report-id': report.report_id, 'data-stream-id': streamId },
    h('span', { class: 'seq' }, `#${report.seq}`),
    h('span', { class: 'rtype' }, report.report_type),
    h('span', { class: 'detail' }, detail(report)),
    h('time', { datetime: report.ts, title: report.ts }, formatClock(report.ts)),
  );
}

function detail(report: Report): string {
  switch (report.report_type) {
    case 'command_accepted':
      return [report.payload.type === 'agent.run' ? t.row.run(report.payload.agent ?? '') : t.row.instruction, report.payload.risk_floor ? t.row.floor(report.payload.risk_floor) : ''].filter(Boolean).join(' · ');
    case 'task_started':
      return report.payload.agent ?? '';
    case 'task_progress': {
      const { message, done, total } = report.payload;
      return [message, done !== undefined && total !== undefined ? `${done}/${total}` : ''].filter(Boolean).join(' · ');
    }
    case 'ask_created':
      return `${report.payload.risk_level} · ${report.payload.title}`;
    case 'ask_resolved':
      return [
        report.payload.withdrawn ? t.row.withdrawn : report.payload.decision === 'approve' ? t.row.approvedBy(report.payload.decided_by) : t.row.deniedBy(report.payload.decided_by),
        report.payload.edited_action ? t.row.withEdit(JSON.stringify(report.payload.edited_action.params)) : '',
        report.payload.standing_approval_id ? t.row.ahead(report.payload.standing_approval_id) : '',
        report.payload.reason ? `: “${report.payload.reason}”` : '',
      ].join('');
    case 'ask_expired':
      return t.row.expiredAt(formatClock(report.payload.expired_at));
    case 'task_completed':
      // The card splits the time into waiting and running; `duration_ms` alone would count an approver's wait.
      return t.row.done(report.payload.risk_level);
    case 'task_failed':
      return `${report.payload.error.code}: ${report.payload.error.message}`;
    case 'task_cancelled':
      return report.payload.reason;
  }
}
