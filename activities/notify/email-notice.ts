import { escapeHtml as html } from '../../infra/html-escape.js';
import { oneLine, type ReadableNotice } from './notice-words.js';


/**
 * An e-mail about an ask: a subject with the headline and the title, a plain-text part and an HTML part with one
 * button to the approval page. Everything but the link is escaped for HTML; nothing the ask says can add a link,
 * an image or a header of its own.
 */
export function emailMessage(n: ReadableNotice): { subject: string; text: string; html: string } {
  const headline = `${n.words.headline[n.stage]} (${n.risk})`;
  const title = oneLine(n.title, 200);
  const footer = `${n.words.forWhom(n.approver)} · ${n.words.expires(n.expiresAt)}`;
  return {
    subject: `[NEXUS] ${headline}: ${title}`,
    text: [headline, '', title, '', `${n.words.button}: ${n.link}`, '', footer, n.words.care, ''].join('\n'),
    html: [
      '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
      `<p><strong>${html(headline)}</strong></p>`,
      `<p>${html(title)}</p>`,
      `<p><a href="${html(n.link)}" style="display:inline-block;padding:10px 16px;background:#1a56db;color:#fff;text-decoration:none;border-radius:6px">${html(n.words.button)}</a></p>`,
      `<p style="color:#555;font-size:13px">${html(footer)}<br>${html(n.words.care)}</p>`,
      '</body></html>',
    ].join(''),
  };
}
