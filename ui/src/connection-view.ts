import type { GapEvent } from '../../contracts/index.js';
import { h } from './element.js';
import type { ConnectionState } from './stream-client.js';

/** The always-visible connection pill, and the banner a `gap` event raises. */
export class ConnectionView {
  constructor(private readonly pill: HTMLElement, private readonly banner: HTMLElement) {}

  show(state: ConnectionState): void {
    const [kind, text, detail] = describe(state);
    this.pill.dataset.state = kind;
    this.pill.textContent = text;
    this.pill.title = detail;
  }

  gap(gap: GapEvent): void {
    const dismiss = h('button', { type: 'button', class: 'link' }, 'Dismiss');
    dismiss.addEventListener('click', () => {
      this.banner.hidden = true;
    });
    this.banner.replaceChildren(
      h('strong', {}, 'Some history is missing. '),
      gap.message,
      gap.first_available_id ? ` The oldest report still kept is ${gap.first_available_id}.` : '',
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
      return ['connecting', 'connecting…', 'opening the report stream'];
    case 'live':
      return ['live', 'live', 'receiving reports as they happen'];
    case 'reconnecting':
      return ['reconnecting', `reconnecting (attempt ${state.attempt})`, `${state.cause}; next try in ${(state.delayMs / 1000).toFixed(1)} s`];
    case 'offline':
      return ['offline', 'offline', state.reason];
  }
}
