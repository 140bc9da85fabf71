import type { FileInfo, FileList, Tenant } from '../../contracts/index.js';
import { h } from './element.js';
import { errorMessage } from './error-text.js';
import type { FileChoices } from './file-choices.js';
import { uploadFile, type UploadOutcome } from './file-upload.js';
import { formatBytes, formatWhen } from './format.js';
import { t } from './i18n/locale.js';
import { tenantHeaders } from './api-client.js';

const ACCEPT = '.xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv';
const LIST_LIMIT = 50;

/**
 * The project's spreadsheets: a drop zone and a file picker that upload with progress, what went wrong in words,
 * and the uploads listed with their size, rows and columns (from `GET /files`, which NEXUS read at upload). Files
 * are not command state: commands and asks still come only from the stream.
 */
export class FilePanel {
  private readonly input = h('input', { type: 'file', id: 'file-input', accept: ACCEPT, multiple: true, class: 'sr-only' });
  private readonly zone = h('div', { class: 'dropzone', id: 'file-drop' });
  private readonly progress = h('progress', { id: 'file-progress', max: 1, value: 0, hidden: true });
  private readonly status = h('p', { id: 'file-status', class: 'file-status', role: 'status', 'aria-live': 'polite' });
  private readonly error = h('p', { id: 'file-error', class: 'field-error', role: 'alert', hidden: true });
  private readonly body = h('tbody', {});
  private readonly table = h('table', { id: 'file-list', class: 'file-list', hidden: true });
  private readonly empty = h('p', { id: 'file-empty', class: 'empty' });
  private readonly more = h('p', { class: 'hint', hidden: true }, t.files.more);
  /** Reloads answer out of order when the tenant changes fast; only the latest one is shown. */
  private generation = 0;
  private busy: Promise<void> = Promise.resolve();

  constructor(root: HTMLElement, private readonly getTenant: () => Tenant, private readonly maxUploadBytes: number, private readonly choices: FileChoices) {
    const limit = Number.isFinite(maxUploadBytes) ? formatBytes(maxUploadBytes) : '';
    this.zone.append(
      h('p', {}, t.files.drop, ' ', h('label', { for: 'file-input', class: 'link' }, t.files.choose), this.input),
      h('p', { class: 'hint' }, t.files.accepts(limit)),
      this.progress,
    );
    this.table.append(
      h('caption', { class: 'sr-only' }, t.files.listLabel),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t.files.name), h('th', { scope: 'col' }, t.files.size), h('th', { scope: 'col' }, t.files.rows),
        h('th', { scope: 'col' }, t.files.columns), h('th', { scope: 'col' }, t.files.uploadedAt),
      )),
      this.body,
    );
    root.append(this.zone, this.status, this.error, this.empty, this.table, this.more);
    this.input.addEventListener('change', () => {
      const files = [...(this.input.files ?? [])];
      // Choosing the same file again must fire `change` again.
      this.input.value = '';
      this.enqueue(files);
    });
    this.zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      this.zone.classList.add('dragging');
    });
    this.zone.addEventListener('dragleave', () => this.zone.classList.remove('dragging'));
    this.zone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.zone.classList.remove('dragging');
      this.enqueue([...(event.dataTransfer?.files ?? [])]);
    });
  }

  /** The list of the current tenant's spreadsheets, newest first. */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    const tenant = this.getTenant();
    let shown: FileList | string;
    try {
      const response = await fetch(`/files?kind=spreadsheet&limit=${LIST_LIMIT}`, {
        headers: tenantHeaders(tenant),
      });
      shown = response.ok ? ((await response.json()) as FileList) : await errorMessage(response);
    } catch {
      shown = t.connection.apiSilent;
    }
    if (generation !== this.generation) return;
    if (typeof shown === 'string') {
      this.empty.textContent = t.files.loadFailed(shown);
      this.empty.hidden = false;
      return;
    }
    this.choices.set(shown.files);
    this.body.replaceChildren(...shown.files.map((file) => this.row(file)));
    this.table.hidden = shown.files.length === 0;
    this.empty.hidden = shown.files.length > 0;
    this.empty.textContent = t.files.none;
    this.more.hidden = !shown.more;
  }

  /** Clears what belonged to the previous tenant at once, before its list arrives. */
  clear(): void {
    this.generation++;
    this.choices.set([]);
    this.body.replaceChildren();
    this.table.hidden = true;
    this.more.hidden = true;
    this.status.textContent = '';
    this.showError(undefined);
  }

  private enqueue(files: File[]): void {
    // One upload at a time, in the order chosen: the progress bar and the messages are about one file.
    for (const file of files) this.busy = this.busy.then(() => this.upload(file));
  }

  private async upload(file: File): Promise<void> {
    this.showError(undefined);
    if (file.size === 0) return this.showError(t.files.empty(file.name));
    // Said before a byte is sent: the API would refuse it with 413 after the whole upload.
    if (file.size > this.maxUploadBytes) return this.showError(t.files.tooLarge(file.name, formatBytes(this.maxUploadBytes)));
    this.status.textContent = t.files.uploading(file.name);
    this.progress.value = 0;
    this.progress.hidden = false;
    const outcome = await uploadFile(file, this.getTenant(), (share) => {
      this.progress.value = share;
    });
    this.progress.hidden = true;
    if (outcome.ok) {
      this.status.textContent = t.files.uploaded(file.name, outcome.file.sheet?.rows ?? 0);
      await this.reload();
      return;
    }
    this.status.textContent = '';
    this.showError(this.refusal(file.name, outcome));
  }

  /** The API's refusal in the reader's words; its own message only adds the detail. */
  private refusal(name: string, outcome: Extract<UploadOutcome, { ok: false }>): string {
    const detail = outcome.message ?? t.connection.apiAnswered(outcome.status);
    if (outcome.status === 0) return t.connection.apiSilent;
    if (outcome.code === 'payload_too_large') return t.files.tooLarge(name, formatBytes(this.maxUploadBytes));
    if (outcome.code === 'spreadsheet_too_large') return t.files.tooMuchInside(name, detail);
    if (outcome.code === 'unsupported_media_type') return t.files.notSpreadsheet(name);
    if (outcome.code === 'spreadsheet_invalid') return t.files.unreadable(name, detail);
    if (outcome.status === 403) return t.files.notAllowed;
    return t.files.failed(name, detail);
  }

  private showError(message: string | undefined): void {
    this.error.textContent = message ?? '';
    this.error.hidden = message === undefined;
  }

  private row(file: FileInfo): HTMLTableRowElement {
    const sheet = file.sheet;
    return h('tr', { 'data-file-id': file.file_id },
      h('td', {}, file.name, sheet?.worksheet ? h('span', { class: 'hint' }, ` · ${t.files.worksheet(sheet.worksheet)}`) : null),
      h('td', { class: 'num' }, formatBytes(file.size)),
      h('td', { class: 'num' }, sheet ? String(sheet.rows) : '—'),
      h('td', { class: 'columns' }, sheet ? sheet.columns.join(', ') : '—'),
      h('td', {}, h('time', { datetime: file.created_at }, formatWhen(file.created_at))),
    );
  }
}
