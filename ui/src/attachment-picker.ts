import { MAX_ATTACHMENTS } from '../../contracts/attachment-limit.js';
import { h } from './element.js';
import type { FileChoices } from './file-choices.js';
import { t } from './i18n/locale.js';

export interface AttachmentPicker {
  element: HTMLElement;
  /** The file_ids ticked, in the list's order. */
  chosen(): string[];
}

/**
 * The project's spreadsheets as boxes to tick under an instruction: the planner is told each ticked file's name,
 * columns and row count (never its rows) and can hand its file_id to an agent. Follows uploads; a ticked file stays
 * ticked while it is listed. At most MAX_ATTACHMENTS, as the API allows.
 */
export function attachmentPicker(files: FileChoices): AttachmentPicker {
  const list = h('div', { class: 'attachments', role: 'group' });
  const hint = h('p', { class: 'hint', id: 'attachments-hint' });
  const element = h('fieldset', { class: 'attachment-picker', 'aria-describedby': hint.id }, h('legend', {}, t.composer.attach), list, hint);
  const boxes = () => [...list.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
  const limit = () => {
    const full = boxes().filter((b) => b.checked).length >= MAX_ATTACHMENTS;
    for (const box of boxes()) box.disabled = full && !box.checked;
  };
  files.follow((available) => {
    const ticked = new Set(boxes().filter((b) => b.checked).map((b) => b.value));
    list.replaceChildren(...available.map((file) => {
      const id = `attach-${file.file_id}`;
      const box = h('input', { type: 'checkbox', id, name: 'attachments', value: file.file_id, checked: ticked.has(file.file_id) });
      box.addEventListener('change', limit);
      return h('div', { class: 'field-check' }, box, h('label', { for: id }, file.sheet ? t.form.fileChoice(file.name, file.sheet.rows) : file.name));
    }));
    hint.textContent = available.length === 0 ? t.composer.attachNone : t.composer.attachHint(MAX_ATTACHMENTS);
    limit();
  });
  return {
    element,
    chosen: () => boxes().filter((b) => b.checked).map((b) => b.value),
  };
}
