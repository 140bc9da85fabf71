import { columnMapField, type ColumnMapField } from './column-map-field.js';
import { h } from './element.js';
import type { FileChoices } from './file-choices.js';
import { attachPlaceholderChips } from './placeholder-chips.js';
import { describedIn } from './described-in.js';
import { t } from './i18n/locale.js';

/** The param an agent reads an uploaded file by (`student.excel_kakao`'s): given a file picker, not a text box. */
const FILE_PARAM = 'file_id';
/** A message drafted per row of that file: offered the file's headers as `{{placeholders}}`. */
const TEMPLATE_PARAM = 'template';

/** The subset of JSON Schema that `z.toJSONSchema` emits for agent params and that the form understands. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  /** The description in another language (`x-description-ko`). */
  [localized: `x-description-${string}`]: string | undefined;
}

export interface SchemaForm {
  element: HTMLElement;
  /** Validates every field, shows each problem next to its field, and returns the params when all are valid. */
  read(): Record<string, unknown> | undefined;
  /** The params when every field is valid right now, showing nothing either way (for a live preview). */
  peek(): Record<string, unknown> | undefined;
  /** Called after any field changes. */
  onChange(listener: () => void): void;
  /** Shows issues the API returned (`path` like `params.url`) next to the matching fields. */
  showIssues(issues: { path: string; message: string }[]): boolean;
  /** A preview's `columns` (field → header the agent used), shown where the form leaves a field to detection. */
  showDetectedColumns(columns: unknown): void;
}

export interface Field {
  name: string;
  wrapper: HTMLElement;
  control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | HTMLFieldSetElement;
  error: HTMLElement;
  /** Returns the value, or a message saying what is wrong. */
  parse(): { value: unknown; present: boolean } | { message: string };
}

/**
 * A form generated from an agent's params schema: one control per property (text, url, number, checkbox,
 * select, or JSON for anything structured), with the schema's rules checked inline as the user types.
 * A schema without properties (a free-form record, like `echo`'s) becomes one JSON object editor.
 */
export function buildSchemaForm(schema: JsonSchema, idPrefix: string, files?: FileChoices): SchemaForm {
  const required = new Set(schema.required ?? []);
  const fileParam = schema.properties?.[FILE_PARAM];
  const withFile = files !== undefined && fileParam !== undefined && typeOf(fileParam) === 'string';
  const fields: Field[] = schema.properties
    ? Object.entries(schema.properties).map(([name, prop]) => {
      if (withFile && name === FILE_PARAM) return fileField(name, prop, required.has(name), idPrefix, files);
      if (withFile && isColumnMap(prop)) return columnMapField(name, prop, idPrefix);
      return propertyField(name, prop, required.has(name), idPrefix);
    })
    : [wholeObjectField(idPrefix)];
  const listeners: Array<() => void> = [];
  for (const field of fields) {
    // On the wrapper: a column map is several selects.
    for (const type of ['input', 'change']) field.wrapper.addEventListener(type, () => listeners.forEach((fn) => fn()));
  }
  const collect = (): Record<string, unknown> => {
    if (!schema.properties) {
      const only = fields[0]?.parse();
      return only && 'value' in only ? (only.value as Record<string, unknown>) : {};
    }
    const params: Record<string, unknown> = {};
    for (const field of fields) {
      const result = field.parse();
      if ('value' in result && result.present) params[field.name] = result.value;
    }
    return params;
  };
  const picker = fields.find((f) => f.name === FILE_PARAM)?.control;
  const template = fields.find((f) => f.name === TEMPLATE_PARAM)?.control;
  const columnMaps = fields.filter((f): f is ColumnMapField => 'setHeaders' in f);
  if (files && picker instanceof HTMLSelectElement) {
    if (template instanceof HTMLInputElement || template instanceof HTMLTextAreaElement) template.after(attachPlaceholderChips(template, picker, files));
    const follow = () => {
      const headers = files.files.find((file) => file.file_id === picker.value)?.sheet?.columns ?? [];
      for (const map of columnMaps) map.setHeaders(headers);
    };
    // Registered before the form's own listeners (on the wrapper, reached later), so a preview reads the new headers.
    picker.addEventListener('change', follow);
    follow();
  }
  const element = h('div', { class: 'schema-form' }, ...fields.map((f) => f.wrapper));
  if (fields.length === 0) element.append(h('p', { class: 'hint' }, t.form.noParams));

  const check = (field: Field): boolean => {
    const result = field.parse();
    const message = 'message' in result ? result.message : '';
    setError(field, message);
    return message === '';
  };
  for (const field of fields) {
    field.control.addEventListener('blur', (event) => {
      // Focus moving to the submit button: submit validates everything, and an error appearing now would shift
      // the button away between mousedown and mouseup, swallowing the click.
      const next = (event as FocusEvent).relatedTarget;
      if (next instanceof HTMLButtonElement && next.type === 'submit') return;
      check(field);
    });
    field.wrapper.addEventListener('input', () => {
      if (field.control.getAttribute('aria-invalid') === 'true') check(field);
    });
  }

  return {
    element,
    read() {
      const valid = fields.map(check).every(Boolean);
      if (!valid) {
        fields.find((f) => f.control.getAttribute('aria-invalid') === 'true')?.control.focus();
        return undefined;
      }
      return collect();
    },
    peek() {
      return fields.every((f) => !('message' in f.parse())) ? collect() : undefined;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    showIssues(issues) {
      let shown = false;
      for (const issue of issues) {
        const name = issue.path.replace(/^params\.?/, '').split('.')[0] ?? '';
        const field = fields.find((f) => f.name === name) ?? (schema.properties ? undefined : fields[0]);
        if (field) {
          setError(field, issue.message);
          shown = true;
        }
      }
      return shown;
    },
    showDetectedColumns(columns) {
      const mapping = typeof columns === 'object' && columns !== null ? (columns as Record<string, unknown>) : undefined;
      for (const map of columnMaps) map.showDetected(mapping);
    },
  };
}

/** An object of named strings (field → header): with a file to read them from, a choice of header per field. */
function isColumnMap(schema: JsonSchema): boolean {
  const properties = Object.values(schema.properties ?? {});
  return typeOf(schema) === 'object' && properties.length > 0 && properties.every((p) => typeOf(p) === 'string');
}

function setError(field: Field, message: string): void {
  field.error.textContent = message;
  field.error.hidden = message === '';
  field.control.setAttribute('aria-invalid', String(message !== ''));
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

function propertyField(name: string, schema: JsonSchema, required: boolean, idPrefix: string): Field {
  const id = `${idPrefix}-${name}`;
  const type = typeOf(schema);
  let control: Field['control'];
  let parseRaw: () => { value: unknown; present: boolean } | { message: string };

  if (schema.enum) {
    const select = h('select', { id, name }, h('option', { value: '' }, required ? t.form.choose : t.form.none));
    schema.enum.forEach((v, i) => select.append(h('option', { value: String(i) }, String(v))));
    // A param with a default starts at it (`channel`: the outbox): what happens when nobody chooses is what is shown.
    const preset = schema.enum.indexOf(schema.default);
    if (preset >= 0) select.value = String(preset);
    control = select;
    parseRaw = () => (select.value === '' ? { value: undefined, present: false } : { value: schema.enum?.[Number(select.value)], present: true });
  } else if (type === 'boolean') {
    const box = h('input', { id, name, type: 'checkbox', checked: schema.default === true });
    control = box;
    parseRaw = () => ({ value: box.checked, present: true });
  } else if (type === 'string') {
    const input = h('input', {
      id,
      name,
      type: schema.format === 'uri' ? 'url' : schema.format === 'email' ? 'email' : 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: schema.format === 'uri' ? 'https://…' : undefined,
    });
    control = input;
    parseRaw = () => {
      const value = input.value;
      if (value === '') return { value: undefined, present: false };
      return stringProblem(value, schema) ?? { value, present: true };
    };
  } else if (type === 'number' || type === 'integer') {
    const input = h('input', { id, name, type: 'number', inputmode: 'decimal', step: type === 'integer' ? '1' : 'any', min: schema.minimum, max: schema.maximum });
    control = input;
    parseRaw = () => {
      if (input.value.trim() === '') return { value: undefined, present: false };
      const value = Number(input.value);
      if (!Number.isFinite(value)) return { message: t.form.number };
      if (type === 'integer' && !Number.isInteger(value)) return { message: t.form.wholeNumber };
      if (schema.minimum !== undefined && value < schema.minimum) return { message: t.form.atLeast(schema.minimum) };
      if (schema.maximum !== undefined && value > schema.maximum) return { message: t.form.atMost(schema.maximum) };
      return { value, present: true };
    };
  } else {
    // Objects, arrays and "any JSON" (no type at all, like a payload) are edited as JSON text.
    const area = h('textarea', { id, name, rows: 4, spellcheck: 'false', class: 'mono', placeholder: type === 'array' ? '[ ]' : type === 'object' ? '{ }' : 'any JSON, e.g. {"grades": [90, 85]}' });
    control = area;
    parseRaw = () => parseJsonText(area.value, type);
  }

  const parse: Field['parse'] = () => {
    const result = parseRaw();
    if ('value' in result && !result.present && required) return { message: t.form.required };
    return result;
  };
  return fieldShell(name, describedIn(schema), required, control, parse);
}

/**
 * A `file_id` param is chosen from the project's spreadsheets (the file panel's list), by name, with its rows; the
 * list follows uploads, and a choice that is still there is kept.
 */
function fileField(name: string, schema: JsonSchema, required: boolean, idPrefix: string, files: FileChoices): Field {
  const select = h('select', { id: `${idPrefix}-${name}`, name, class: 'file-choice' });
  // A form is replaced when another agent is chosen: its picker stops following once it has left the page.
  let shown = false;
  const stop = files.follow((list) => {
    if (select.isConnected) shown = true;
    else if (shown) {
      // Never on the first, synchronous call: the picker cannot have been shown yet.
      stop();
      return;
    }
    const chosen = select.value;
    select.replaceChildren(
      h('option', { value: '' }, list.length === 0 ? t.form.noFiles : t.form.chooseFile),
      ...list.map((file) => h('option', { value: file.file_id }, file.sheet ? t.form.fileChoice(file.name, file.sheet.rows) : file.name)),
    );
    if (list.some((file) => file.file_id === chosen)) select.value = chosen;
    // A new list is a change of what the form holds (a first upload fills an empty choice); it bubbles to the form.
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
  return fieldShell(name, describedIn(schema), required, select, () => {
    if (select.value === '') return required ? { message: t.form.required } : { value: undefined, present: false };
    return { value: select.value, present: true };
  });
}

function wholeObjectField(idPrefix: string): Field {
  const area = h('textarea', { id: `${idPrefix}-params`, name: 'params', rows: 5, spellcheck: 'false', class: 'mono', placeholder: '{"hello": "world"}' });
  area.value = '{\n  \n}';
  return fieldShell('params', t.form.anyObject, false, area, () => {
    const parsed = parseJsonText(area.value.trim() === '' ? '{}' : area.value, 'object');
    return parsed;
  });
}

function fieldShell(name: string, description: string | undefined, required: boolean, control: Field['control'], parse: Field['parse']): Field {
  const errorId = `${control.id}-error`;
  const hintId = `${control.id}-hint`;
  const error = h('p', { class: 'field-error', id: errorId, role: 'alert', hidden: true });
  const hint = description ? h('p', { class: 'hint', id: hintId }, description) : null;
  control.setAttribute('aria-describedby', [hint ? hintId : '', errorId].filter(Boolean).join(' '));
  if (required) control.setAttribute('aria-required', 'true');
  const isBox = control instanceof HTMLInputElement && control.type === 'checkbox';
  const label = h('label', { for: control.id }, name, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const wrapper = isBox
    ? h('div', { class: 'field field-check' }, control, label, hint, error)
    : h('div', { class: 'field' }, label, control, hint, error);
  return { name, wrapper, control, error, parse };
}

function stringProblem(value: string, schema: JsonSchema): { message: string } | undefined {
  if (schema.minLength !== undefined && value.length < schema.minLength) return { message: t.form.minLength(schema.minLength) };
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return { message: t.form.maxLength(schema.maxLength) };
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return { message: t.form.pattern(schema.pattern) };
  if (schema.format === 'uri') {
    try {
      const url = new URL(value);
      if (!/^https?:$/.test(url.protocol)) return { message: t.form.httpUrl };
    } catch {
      return { message: t.form.fullUrl };
    }
  }
  if (schema.format === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value)) return { message: t.form.email };
  return undefined;
}

function parseJsonText(text: string, type: string | undefined): { value: unknown; present: boolean } | { message: string } {
  if (text.trim() === '') return { value: undefined, present: false };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { message: t.form.badJson((err as Error).message) };
  }
  if (type === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) return { message: t.form.jsonObject };
  if (type === 'array' && !Array.isArray(value)) return { message: t.form.jsonArray };
  return { value, present: true };
}
