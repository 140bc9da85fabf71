import type { NotifyStage, RiskLevel } from '../../contracts/index.js';

/**
 * Text for Slack's mrkdwn: `&`, `<` and `>` escaped, as Slack asks. Without it a title such as
 * `<https://evil.example|Approve>` would render as a link of its own beside NEXUS's button.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEADLINE: Record<NotifyStage, string> = {
  ask: 'Approval needed',
  reminder: 'Reminder: still waiting for your decision',
  escalation: 'Escalated: admins may decide this request now',
};

export interface SlackNotice {
  stage: NotifyStage;
  title: string;
  risk: RiskLevel;
  approver: string;
  expiresAt: string;
  link: string;
}

/**
 * A Slack incoming-webhook message (Block Kit): the headline, the title, when it expires, and one button to the
 * approval page. The button only opens the page; deciding takes the page's own confirmation.
 */
export function slackMessage(n: SlackNotice): { text: string; blocks: unknown[] } {
  const headline = `${HEADLINE[n.stage]} (${n.risk})`;
  return {
    text: `${headline}: ${slackEscape(n.title)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*\n${slackEscape(n.title)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `For ${slackEscape(n.approver)} · expires ${slackEscape(n.expiresAt)}` }] },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review and decide' }, url: n.link, style: 'primary' }] },
    ],
  };
}
