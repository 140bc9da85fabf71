import type { NotifyStage } from '../../contracts/index.js';
import type { OutgoingMessage } from '../../agents/student-excel-kakao/sens-alimtalk-client.js';
import { NOTICE_WORDS, oneLine } from './notice-words.js';

/**
 * The AlimTalk template an install registers with Kakao for approval notices (docs/risk-policy.md). AlimTalk
 * sends only text that matches a registered template with its variables filled in, so this text and the button
 * are the contract with Kakao: change them here and the template must be registered again.
 */
export const ALIMTALK_NOTICE_TEMPLATE = '[NEXUS] #{headline}\n#{title}\n만료: #{expires}\n요청 번호: #{ref}\n아래 버튼으로 내용을 확인하고 결정해 주세요.';
export const ALIMTALK_NOTICE_BUTTON = NOTICE_WORDS.ko.button;


/** Times people read: Korea's clock, to the minute. */
function kst(iso: string): string {
  const at = new Date(Date.parse(iso) + 9 * 3_600_000);
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} (KST)`;
}

/** One approval notice as SENS takes it: the template filled in, one web-link button to the approval page. */
export function alimtalkMessage(n: { askId: string; stage: NotifyStage; title: string; expiresAt: string; phone: string; link: string }): OutgoingMessage {
  const values: Record<string, string> = {
    headline: NOTICE_WORDS.ko.headline[n.stage],
    // One line, bounded: AlimTalk's whole message is at most 1,000 characters.
    title: oneLine(n.title, 200),
    expires: kst(n.expiresAt),
    // Which ask: people can tell two alike apart, and a retry finds what an earlier attempt sent for this one only.
    ref: n.askId.slice(0, 8),
  };
  // One pass over the template: a title that holds `#{expires}` or `$&` stays text instead of being filled in.
  const content = ALIMTALK_NOTICE_TEMPLATE.replace(/#\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
  return {
    to: n.phone.replace(/-/g, ''),
    content,
    buttons: [{ type: 'WL', name: ALIMTALK_NOTICE_BUTTON, linkMobile: n.link, linkPc: n.link }],
  };
}
