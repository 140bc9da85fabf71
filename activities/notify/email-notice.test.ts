import { describe, expect, it } from 'vitest';
import { emailMessage } from './email-notice.js';
import { NOTICE_WORDS } from './notice-words.js';

describe('e-mail notices', () => {
  const base = { stage: 'ask' as const, risk: 'RED' as const, approver: 'principal-park', expiresAt: '2026-12-08T09:00:00.000Z', link: 'https://nexus.example/approve/x.y' };

  it('escape what the ask says: no markup, link or header of its own', () => {
    const message = emailMessage({ ...base, title: 'Share <a href="https://evil.example">grades</a>\r\nBcc: all@school.example', words: NOTICE_WORDS.en });
    expect(message.subject).toBe('[NEXUS] Approval needed (RED): Share <a href="https://evil.example">grades</a> Bcc: all@school.example');
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.html).not.toContain('<a href="https://evil.example">');
    expect(message.html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;');
    // One link in the HTML: NEXUS's.
    expect(message.html.match(/<a /g)).toHaveLength(1);
    expect(message.html).toContain('href="https://nexus.example/approve/x.y"');
    expect(message.text).toContain('Review and decide: https://nexus.example/approve/x.y');
  });

  it('speak the target\'s language and say which stage it is', () => {
    const ko = emailMessage({ ...base, stage: 'reminder', title: '3학년 성적 공유', words: NOTICE_WORDS.ko });
    expect(ko.subject).toBe('[NEXUS] 알림: 아직 결정을 기다리고 있습니다 (RED): 3학년 성적 공유');
    expect(ko.text).toContain('검토하고 결정하기: https://nexus.example/approve/x.y');
    expect(ko.text).toContain('principal-park 님께');
  });
});
