import type { ReadableNotice } from './notice-words.js';

/**
 * Text for Slack's mrkdwn: `&`, `<` and `>` escaped, as Slack asks. Without it a title such as
 * `<https://evil.example|Approve>` would render as a link of its own beside NEXUS's button.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A Slack incoming-webhook message (Block Kit): the headline, the title, when it expires, and one button to the
 * approval page. The button only opens the page; deciding takes the page's own confirmation.
 */
export function slackMessage(n: ReadableNotice): { text: string; blocks: unknown[] } {
  const headline = `${n.words.headline[n.stage]} (${n.risk})`;
  return {
    text: `${headline}: ${slackEscape(n.title)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*\n${slackEscape(n.title)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${slackEscape(n.words.forWhom(n.approver))} · ${slackEscape(n.words.expires(n.expiresAt))}` }] },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: n.words.button }, url: n.link, style: 'primary' }] },
    ],
  };
}
