import type { FileInfo } from '../../contracts/index.js';

/**
 * The project's spreadsheets as the file panel last loaded them, for every form that takes a `file_id`: the panel
 * sets them, the forms follow.
 */
export class FileChoices {
  private current: FileInfo[] = [];
  private readonly listeners = new Set<(files: readonly FileInfo[]) => void>();

  get files(): readonly FileInfo[] {
    return this.current;
  }

  set(files: FileInfo[]): void {
    this.current = files;
    for (const listener of this.listeners) listener(files);
  }

  /** Called now with the current list, then on every change; returns the unsubscribe. */
  follow(listener: (files: readonly FileInfo[]) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }
}
