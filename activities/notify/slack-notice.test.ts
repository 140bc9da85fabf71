import { describe, expect, it } from 'vitest';
import { NOTICE_WORDS } from './notice-words.js';
import { slackEscape, slackMessage } from './slack-notice.js';

describe('Slack messages', () => {
  it('escape the title so it cannot add links, mentions or formatting of its own', () => {
    const message = slackMessage({
      stage: 'ask', title: 'Share grades <https://evil.example|Approve here> <!channel> & more', risk: 'RED',
      approver: 'principal-park', expiresAt: '2026-12-08T09:00:00.000Z', link: 'https://nexus.example/approve/x.y', words: NOTICE_WORDS.en,
    });
    const text = JSON.stringify(message);
    expect(text).not.toContain('<https://evil.example');
    expect(text).not.toContain('<!channel>');
    expect(message.text).toBe('Approval needed (RED): Share grades &lt;https://evil.example|Approve here&gt; &lt;!channel&gt; &amp; more');
    // The one link is NEXUS's button.
    expect(message.blocks[2]).toEqual({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review and decide' }, url: 'https://nexus.example/approve/x.y', style: 'primary' }] });
  });

  it('says which stage it is, in the target\'s language', () => {
    const base = { title: 't', risk: 'RED' as const, approver: 'a', expiresAt: 'e', link: 'l', words: NOTICE_WORDS.en };
    expect(slackMessage({ ...base, stage: 'reminder' }).text).toMatch(/^Reminder/);
    expect(slackMessage({ ...base, stage: 'escalation' }).text).toMatch(/^Escalated/);
    expect(slackMessage({ ...base, stage: 'ask', words: NOTICE_WORDS.ko }).text).toMatch(/^승인 요청 \(RED\)/);
    expect(slackEscape('a&b<c>d')).toBe('a&amp;b&lt;c&gt;d');
  });
});
