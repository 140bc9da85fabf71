import type { AgentDescriptor, Tenant } from '../../contracts/index.js';
import { newClientId, postJson } from './api-client.js';
import { h } from './element.js';
import { attachmentPicker } from './attachment-picker.js';
import { buildSchemaForm, type JsonSchema, type SchemaForm } from './schema-form.js';
import type { FileChoices } from './file-choices.js';
import { PreviewBox } from './preview-box.js';
import type { DashboardState } from './state.js';
import { locale, t } from './i18n/locale.js';
import { CLIENT_KEY_PATTERN } from '../../contracts/client-key-pattern.js';


/**
 * The command composer: an agent from the catalog with a form generated from its params schema, or a plain
 * instruction. A 202 only records the correlation id as "sent"; what happens next is the stream's to say.
 */
export function mountComposer(root: HTMLElement, state: DashboardState, getTenant: () => Tenant, files: FileChoices): void {
  let agents: AgentDescriptor[] = [];
  let form: SchemaForm | undefined;
  const preview = new PreviewBox(getTenant, (answer) => form?.showDetectedColumns(answer?.details?.columns));

  const kindAgent = h('input', { type: 'radio', name: 'kind', value: 'agent', id: 'kind-agent', checked: true });
  const kindText = h('input', { type: 'radio', name: 'kind', value: 'instruction', id: 'kind-instruction' });
  const agentSelect = h('select', { id: 'agent-select', name: 'agent', 'aria-describedby': 'agent-about' });
  const agentAbout = h('div', { id: 'agent-about', class: 'agent-about' });
  const paramsMount = h('div', { class: 'params' });
  const agentPart = h('div', { class: 'agent-part' },
    h('div', { class: 'field' }, h('label', { for: 'agent-select' }, t.composer.agent), agentSelect),
    agentAbout,
    paramsMount,
    preview.element,
  );
  const instruction = h('textarea', { id: 'instruction', name: 'text', rows: 4, placeholder: t.composer.instructionPlaceholder, 'aria-describedby': 'instruction-error' });
  const instructionError = h('p', { class: 'field-error', id: 'instruction-error', role: 'alert', hidden: true });
  const attachments = attachmentPicker(files);
  const instructionPart = h('div', { class: 'field', hidden: true },
    h('label', { for: 'instruction' }, t.composer.instruction), instruction, instructionError,
    h('p', { class: 'hint' }, t.composer.instructionHint),
    attachments.element,
  );
  const correlation = h('input', { id: 'correlation-id', name: 'correlation_id', autocomplete: 'off', spellcheck: 'false', placeholder: t.composer.correlationPlaceholder, 'aria-describedby': 'correlation-error' });
  const correlationError = h('p', { class: 'field-error', id: 'correlation-error', role: 'alert', hidden: true });
  const riskFloor = h('select', { id: 'risk-floor', name: 'risk_level' },
    h('option', { value: '' }, t.composer.policyDecides), h('option', { value: 'YELLOW' }, t.composer.atLeastYellow), h('option', { value: 'RED' }, t.composer.alwaysAsk),
  );
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, t.composer.send);
  const status = h('p', { class: 'composer-status', role: 'status', 'aria-live': 'polite' });
  const formEl = h('form', { class: 'composer', novalidate: true, 'aria-label': t.composer.formLabel },
    h('fieldset', { class: 'segmented' },
      h('legend', { class: 'sr-only' }, t.composer.whatToSend),
      kindAgent, h('label', { for: 'kind-agent' }, t.composer.runAgent),
      kindText, h('label', { for: 'kind-instruction' }, t.composer.instruction),
    ),
    agentPart,
    instructionPart,
    h('details', { class: 'advanced' },
      h('summary', {}, t.composer.options),
      h('div', { class: 'field' }, h('label', { for: 'correlation-id' }, t.composer.correlationId), correlation, correlationError),
      h('div', { class: 'field' }, h('label', { for: 'risk-floor' }, t.composer.riskFloor), riskFloor),
    ),
    h('div', { class: 'actions' }, submit),
    status,
  );
  root.append(formEl);

  const isInstruction = () => kindText.checked;
  const syncKind = () => {
    agentPart.hidden = isInstruction();
    instructionPart.hidden = !isInstruction();
    submit.disabled = !isInstruction() && agents.length === 0;
  };
  kindAgent.addEventListener('change', syncKind);
  kindText.addEventListener('change', syncKind);

  const showAgent = () => {
    const agent = agents.find((a) => a.name === agentSelect.value);
    agentAbout.replaceChildren();
    paramsMount.replaceChildren();
    form = undefined;
    if (!agent) return;
    agentAbout.append(
      h('span', { class: `risk risk-${agent.risk_level.toLowerCase()}` }, agent.risk_level),
      ' ',
      agent.descriptions?.[locale] ?? agent.description,
    );
    const built = buildSchemaForm(agent.params_schema as JsonSchema, `param-${agent.name}`, files);
    form = built;
    paramsMount.append(built.element);
    const refresh = () => {
      if (form === built) preview.request(agent.name, built.peek());
    };
    built.onChange(refresh);
    refresh();
  };
  agentSelect.addEventListener('change', showAgent);

  const setFieldError = (el: HTMLElement, control: HTMLElement, message: string) => {
    el.textContent = message;
    el.hidden = message === '';
    control.setAttribute('aria-invalid', String(message !== ''));
  };

  formEl.addEventListener('submit', (event) => {
    event.preventDefault();
    const cid = correlation.value.trim();
    setFieldError(correlationError, correlation, cid === '' || CLIENT_KEY_PATTERN.test(cid) ? '' : t.composer.badCorrelation);
    let body: Record<string, unknown>;
    if (isInstruction()) {
      const text = instruction.value.trim();
      setFieldError(instructionError, instruction, text === '' ? t.composer.required : '');
      if (text === '') return instruction.focus();
      const attached = attachments.chosen();
      body = { type: 'instruction', text, ...(attached.length > 0 ? { attachments: attached } : {}) };
    } else {
      const params = form?.read();
      if (!params) return;
      body = { type: 'agent.run', agent: agentSelect.value, params };
    }
    if (correlationError.textContent) return correlation.focus();
    const commandId = newClientId('ui');
    const correlationId = cid || commandId;
    body = { ...body, command_id: commandId, correlation_id: correlationId, ...(riskFloor.value ? { risk_level: riskFloor.value } : {}) };
    void send(body, correlationId);
  });

  async function send(body: Record<string, unknown>, correlationId: string): Promise<void> {
    submit.disabled = true;
    status.className = 'composer-status';
    status.textContent = t.composer.sending;
    const outcome = await postJson('/sidecar/command', body, getTenant());
    submit.disabled = false;
    if (outcome.accepted) {
      state.markSent(correlationId);
      correlation.value = '';
      status.textContent = t.composer.sent(correlationId);
      return;
    }
    form?.showIssues(outcome.issues);
    status.className = 'composer-status error';
    status.textContent = t.composer.notSent(outcome.message);
  }

  async function loadCatalog(): Promise<void> {
    status.textContent = t.composer.loadingAgents;
    try {
      const response = await fetch('/agents', { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(t.connection.apiAnswered(response.status));
      agents = ((await response.json()) as { agents: AgentDescriptor[] }).agents;
    } catch (err) {
      status.className = 'composer-status error';
      status.replaceChildren(t.composer.catalogFailed((err as Error).message), retryButton());
      return;
    }
    agentSelect.replaceChildren(...agents.map((a) => h('option', { value: a.name }, `${a.name} (${a.risk_level})`)));
    status.textContent = '';
    status.className = 'composer-status';
    showAgent();
    syncKind();
  }

  function retryButton(): HTMLButtonElement {
    const button = h('button', { type: 'button', class: 'link' }, t.composer.retry);
    button.addEventListener('click', () => void loadCatalog());
    return button;
  }

  void loadCatalog();
}
