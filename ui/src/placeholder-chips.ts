import { h } from './element.js';
import type { FileChoices } from './file-choices.js';
import { t } from './i18n/locale.js';

/**
 * Under a `template` param, the chosen spreadsheet's column headers as buttons: one click puts `{{header}}` where the
 * cursor is, so nobody has to guess how a column is spelled. Follows the file picker and the list of uploads.
 */
export function attachPlaceholderChips(template: HTMLInputElement | HTMLTextAreaElement, picker: HTMLSelectElement, files: FileChoices): HTMLElement {
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': t.form.insertColumn });
  const render = () => {
    const columns = files.files.find((file) => file.file_id === picker.value)?.sheet?.columns ?? [];
    chips.hidden = columns.length === 0;
    chips.replaceChildren(h('span', { class: 'hint' }, t.form.insertColumn), ...columns.map((column) => {
      const chip = h('button', { type: 'button', class: 'chip', 'data-column': column }, column);
      chip.addEventListener('click', () => insert(template, `{{${column}}}`));
      return chip;
    }));
  };
  picker.addEventListener('change', render);
  render();
  return chips;
}

function insert(control: HTMLInputElement | HTMLTextAreaElement, text: string): void {
  const start = control.selectionStart ?? control.value.length;
  const end = control.selectionEnd ?? start;
  control.setRangeText(text, start, end, 'end');
  control.focus();
  // The form validates and previews on input, as if the person had typed it.
  control.dispatchEvent(new Event('input', { bubbles: true }));
}
