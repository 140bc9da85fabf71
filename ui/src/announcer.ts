import type { ReportOf } from '../../contracts/index.js';
import { h } from './element.js';
import { t } from './i18n/locale.js';

/** Asks older than this when they reach the page are history being replayed, not news. */
const FRESH_MS = 30_000;

/**
 * Makes new asks noticeable: a count in the tab title, a polite screen-reader announcement and, when the user
 * opted in, a browser notification that opens this tenant's dashboard.
 */
export class Announcer {
  private readonly live = h('div', { class: 'sr-only', 'aria-live': 'assertive', 'aria-atomic': 'true', id: 'ask-announcer' });
  private readonly baseTitle = document.title;

  constructor(private readonly notifyButton: HTMLButtonElement) {
    document.body.append(this.live);
    if (!('Notification' in window) || Notification.permission !== 'default') notifyButton.hidden = true;
    notifyButton.addEventListener('click', () => {
      void Notification.requestPermission().then(() => {
        notifyButton.hidden = true;
      });
    });
  }

  pendingCount(count: number, tenantLabel: string): void {
    document.title = `${count > 0 ? `(${count}) ` : ''}${this.baseTitle} · ${tenantLabel}`;
  }

  newAsks(asks: ReportOf<'ask_created'>[]): void {
    const fresh = asks.filter((a) => Date.now() - Date.parse(a.ts) < FRESH_MS);
    if (fresh.length === 0) return;
    const first = fresh[0];
    if (!first) return;
    this.live.textContent = fresh.length === 1
      ? t.announce.newAsk(first.payload.risk_level, first.payload.title)
      : t.announce.newAsks(fresh.length);
    if ('Notification' in window && Notification.permission === 'granted') {
      for (const ask of fresh) {
        const url = `/ui?org_id=${encodeURIComponent(ask.org_id)}&project_id=${encodeURIComponent(ask.project_id)}`;
        const n = new Notification(t.announce.notificationTitle(ask.payload.risk_level), { body: ask.payload.title, tag: ask.payload.ask_id });
        n.onclick = () => {
          window.focus();
          if (!location.href.endsWith(url)) location.assign(url);
        };
      }
    }
  }
}
