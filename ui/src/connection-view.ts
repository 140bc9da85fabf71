import type { GapEvent } from '../../contracts/index.js';
import { h } from './element.js';
import type { ConnectionState } from './stream-client.js';
import { localeTag, t } from './i18n/locale.js';

/**
 * The always-visible connection pill, the outage banner (up whenever the page is not receiving reports, so a stale
 * page never passes for a live one), and the banner a `gap` event raises.
 */
export class ConnectionView {
  /** When the stream last caught up, to tell how old what the page shows may be. */
  private lastLive: Date | undefined;

  constructor(private readonly pill: HTMLElement, private readonly banner: HTMLElement, private readonly outage: HTMLElement) {}

  show(state: ConnectionState): void {
    // Connected again but not caught up is still part of the outage: only `live` ends it.
    const failing = !this.outage.hidden && state.kind === 'catching_up';
    const [kind, text, detail] = failing ? ['reconnecting', t.connection.reconnectingShort, t.connection.waitingForCatchUp] : describe(state);
    this.pill.dataset.state = kind;
    this.pill.textContent = text;
    this.pill.title = detail;
    if (state.kind === 'live') {
      this.lastLive = new Date();
      this.outage.hidden = true;
      this.outage.replaceChildren();
    } else if (state.kind === 'reconnecting' || state.kind === 'offline') {
      // Kept up while a reconnect is catching up: only `live` proves the page is current again.
      this.outage.replaceChildren(
        h('strong', {}, t.connection.notReceiving),
        `${capitalize(detail)}. `,
        this.lastLive
          ? t.connection.staleSince(this.lastLive.toLocaleTimeString(localeTag))
          : t.connection.nothingLoaded,
      );
      this.outage.hidden = false;
    }
  }

  /** Resets the page's notion of "last up to date" (another tenant's stream starts). */
  reset(): void {
    this.lastLive = undefined;
    this.outage.hidden = true;
    this.outage.replaceChildren();
  }

  gap(gap: GapEvent): void {
    const dismiss = h('button', { type: 'button', class: 'link' }, t.connection.dismiss);
    dismiss.addEventListener('click', () => {
      this.banner.hidden = true;
    });
    this.banner.replaceChildren(
      h('strong', {}, t.connection.historyMissing),
      gap.message,
      gap.first_available_id ? t.connection.oldestKept(gap.first_available_id) : '',
      ' ',
      dismiss,
    );
    this.banner.hidden = false;
  }

  clearGap(): void {
    this.banner.hidden = true;
    this.banner.replaceChildren();
  }
}

function describe(state: ConnectionState): [string, string, string] {
  switch (state.kind) {
    case 'connecting':
      return ['connecting', t.connection.connecting, t.connection.connectingDetail];
    case 'catching_up':
      return ['catching-up', t.connection.catchingUp, t.connection.catchingUpDetail];
    case 'live':
      return ['live', t.connection.live, t.connection.liveDetail];
    case 'reconnecting':
      return ['reconnecting', t.connection.reconnecting(state.attempt), t.connection.reconnectingDetail(state.cause, (state.delayMs / 1000).toFixed(1))];
    case 'offline':
      return ['offline', t.connection.offline, state.reason];
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
