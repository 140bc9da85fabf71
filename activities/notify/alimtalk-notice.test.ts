import { describe, expect, it } from 'vitest';
import { ALIMTALK_NOTICE_TEMPLATE, alimtalkMessage } from './alimtalk-notice.js';

describe('AlimTalk notices', () => {
  const base = { askId: '3f2a9c1e-0000-4000-8000-000000000000', stage: 'ask' as const, expiresAt: '2026-12-08T00:30:00.000Z', phone: '010-1234-5678', link: 'https://nexus.school.kr/approve/x.y' };

  it('fill the registered template, in Korea\'s time, with one web-link button to the approval page', () => {
    const message = alimtalkMessage({ ...base, title: '3학년 2반 성적을 학부모 28명에게 보냅니다' });
    expect(message).toEqual({
      to: '01012345678',
      content: '[NEXUS] 승인 요청\n3학년 2반 성적을 학부모 28명에게 보냅니다\n만료: 2026-12-08 09:30 (KST)\n요청 번호: 3f2a9c1e\n아래 버튼으로 내용을 확인하고 결정해 주세요.',
      buttons: [{ type: 'WL', name: '검토하고 결정하기', linkMobile: base.link, linkPc: base.link }],
    });
    // Every variable of the template is filled, and nothing else of it changes.
    expect(message.content).not.toContain('#{');
    expect(ALIMTALK_NOTICE_TEMPLATE.split('\n')).toHaveLength(message.content.split('\n').length);
  });

  it('keep a title on its line and as text, whatever it holds', () => {
    const message = alimtalkMessage({ ...base, stage: 'reminder', title: 'pay $& and $\' now\n#{expires}' });
    expect(message.content.split('\n')[1]).toBe('pay $& and $\' now #{expires}');
    expect(message.content.split('\n')[0]).toBe('[NEXUS] 알림: 아직 결정을 기다리고 있습니다');
    expect(message.content.split('\n')[2]).toBe('만료: 2026-12-08 09:30 (KST)');
  });
});
