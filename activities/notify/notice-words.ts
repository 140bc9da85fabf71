import type { NotifyStage, RiskLevel } from '../../contracts/index.js';

/** The words people read in a notice (Slack, e-mail), in the languages a target may ask for. */
export interface NoticeWords {
  headline: Record<NotifyStage, string>;
  button: string;
  forWhom: (approver: string) => string;
  expires: (at: string) => string;
  /** What the link is and is not: a credential for one person, one decision, and opening it decides nothing. */
  care: string;
}

/** What a notice people read says about an ask, in their words (Slack, e-mail). */
export interface ReadableNotice {
  stage: NotifyStage;
  title: string;
  risk: RiskLevel;
  approver: string;
  expiresAt: string;
  link: string;
  words: NoticeWords;
}

/** One line of at most `max` characters: a title with line breaks must not start a header, a paragraph or a template line of its own. */
export function oneLine(text: string, max: number): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim().slice(0, max);
}

export const NOTICE_WORDS: Record<'en' | 'ko', NoticeWords> = {
  en: {
    headline: { ask: 'Approval needed', reminder: 'Reminder: still waiting for your decision', escalation: 'Escalated: admins may decide this request now' },
    button: 'Review and decide',
    forWhom: (approver) => `For ${approver}`,
    expires: (at) => `expires ${at}`,
    care: 'This link is yours alone and decides once. Opening it decides nothing: the page asks you to confirm.',
  },
  ko: {
    headline: { ask: '승인 요청', reminder: '알림: 아직 결정을 기다리고 있습니다', escalation: '상향: 이제 관리자도 이 요청을 결정할 수 있습니다' },
    button: '검토하고 결정하기',
    forWhom: (approver) => `${approver} 님께`,
    expires: (at) => `만료 ${at}`,
    care: '이 링크는 본인만 한 번 사용할 수 있습니다. 여는 것만으로는 아무것도 결정되지 않으며, 페이지에서 다시 확인합니다.',
  },
};
