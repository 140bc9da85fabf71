import type { AgentPreviewAnswer, Tenant } from '../../contracts/index.js';
import { h } from './element.js';
import { errorText } from './error-text.js';
import { t } from './i18n/locale.js';
import { previewDetails } from './preview-details.js';
import { tenantHeaders } from './api-client.js';

/** Waits for typing to pause before asking: a preview reads the whole spreadsheet. */
const DEBOUNCE_MS = 400;

/**
 * What a command would do, before it is sent: `POST /agents/{agent}/preview` with the form's params, shown as an
 * approver would see it (for a spreadsheet: how many get a message, the first messages, the rows left out and why).
 * Reference only, like the catalog: it says nothing about any command, and nothing is sent.
 */
export class PreviewBox {
  readonly element = h('section', { id: 'preview', class: 'preview', 'aria-live': 'polite', 'aria-label': t.preview.label });
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Answers come back out of order when the form changes fast; only the latest request's is shown. */
  private generation = 0;

  /** `answered` hears each shown answer, or undefined when none is shown (the form can then say what was detected). */
  constructor(private readonly getTenant: () => Tenant, private readonly answered: (answer: AgentPreviewAnswer | undefined) => void = () => undefined) {
    this.element.append(h('p', { class: 'hint' }, t.preview.hint));
  }

  /** Params undefined: the form is not complete yet, so there is nothing to preview. */
  request(agent: string, params: Record<string, unknown> | undefined): void {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    if (params === undefined) {
      this.show(h('p', { class: 'hint' }, t.preview.hint));
      this.answered(undefined);
      return;
    }
    this.timer = setTimeout(() => void this.load(generation, agent, params), DEBOUNCE_MS);
  }

  private async load(generation: number, agent: string, params: Record<string, unknown>): Promise<void> {
    this.element.dataset.state = 'loading';
    const tenant = this.getTenant();
    let shown: Node;
    let answer: AgentPreviewAnswer | undefined;
    try {
      const response = await fetch(`/agents/${encodeURIComponent(agent)}/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...tenantHeaders(tenant) },
        body: JSON.stringify({ params }),
      });
      const text = await response.text();
      if (response.ok) answer = JSON.parse(text) as AgentPreviewAnswer;
      shown = answer ? this.render(answer) : h('p', { class: 'field-error' }, t.preview.cannot(errorText(text) ?? t.connection.apiAnswered(response.status)));
    } catch {
      shown = h('p', { class: 'field-error' }, t.preview.cannot(t.connection.apiSilent));
    }
    if (generation !== this.generation) return;
    this.show(shown);
    this.answered(answer);
  }

  private show(content: Node): void {
    this.element.dataset.state = 'ready';
    this.element.replaceChildren(content);
  }

  private render(answer: AgentPreviewAnswer): HTMLElement {
    return h('div', {},
      h('p', { class: 'preview-title' }, h('span', { class: `risk risk-${answer.risk_level.toLowerCase()}` }, answer.risk_level), ' ', answer.title),
      h('p', { class: 'preview-description' }, answer.description),
      answer.details ? previewDetails(answer.details) : null,
      h('p', { class: 'hint' }, t.preview.nothingSent),
    );
  }
}
