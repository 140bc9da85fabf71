import { h } from './element.js';
import { t } from './i18n/locale.js';
import { describedIn } from './described-in.js';
import type { Field, JsonSchema } from './schema-form.js';

export interface ColumnMapField extends Field {
  /** The chosen sheet's headers: every field offers them; a choice the new sheet lacks goes back to automatic. */
  setHeaders(headers: readonly string[]): void;
  /** What the agent detected (the preview's `columns`), shown on the "automatic" choice of each field left to it. */
  showDetected(mapping: Readonly<Record<string, unknown>> | undefined): void;
}

/**
 * A param mapping named fields to spreadsheet headers (`student.excel_kakao`'s `columns`), as one choice of header
 * per field instead of JSON: "automatic" (the agent detects it) or one of the chosen sheet's headers.
 * Only the fields a person changed are sent, so detection still decides the rest.
 */
export function columnMapField(name: string, schema: JsonSchema, idPrefix: string): ColumnMapField {
  const id = `${idPrefix}-${name}`;
  const error = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  const rows = Object.entries(schema.properties ?? {}).map(([field, prop]) => {
    const select = h('select', { id: `${id}-${field}`, name: `${name}.${field}`, 'data-field': field, 'aria-describedby': `${id}-${field}-hint` });
    const auto = h('option', { value: '' }, t.form.columnAuto);
    select.append(auto);
    const row = h('div', { class: 'column-map-row' },
      h('label', { for: select.id }, field),
      select,
      h('span', { class: 'hint', id: `${id}-${field}-hint` }, describedIn(prop) ?? ''),
    );
    return { field, select, auto, row };
  });
  const empty = h('p', { class: 'hint' }, t.form.columnsNeedFile);
  const control = h('fieldset', { id, class: 'column-map', 'aria-describedby': error.id },
    h('legend', {}, name),
    describedIn(schema) ? h('p', { class: 'hint' }, describedIn(schema)) : null,
    empty,
    ...rows.map((r) => r.row),
  );
  let headers: readonly string[] = [];

  return {
    name,
    wrapper: h('div', { class: 'field' }, control, error),
    control,
    error,
    parse() {
      const chosen = Object.fromEntries(rows.filter((r) => r.select.value !== '').map((r) => [r.field, r.select.value]));
      return { value: chosen, present: Object.keys(chosen).length > 0 };
    },
    setHeaders(next) {
      headers = next;
      empty.hidden = headers.length > 0;
      for (const { select, auto, row } of rows) {
        const kept = headers.includes(select.value) ? select.value : '';
        select.replaceChildren(auto, ...headers.map((header) => h('option', { value: header }, header)));
        select.value = kept;
        row.hidden = headers.length === 0;
      }
    },
    showDetected(mapping) {
      for (const { field, select, auto } of rows) {
        const detected = mapping?.[field];
        auto.textContent = mapping === undefined || select.value !== ''
          ? t.form.columnAuto
          : typeof detected === 'string' && headers.includes(detected) ? t.form.columnDetected(detected) : t.form.columnNotFound;
      }
    },
  };
}
