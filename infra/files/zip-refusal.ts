/**
 * Thrown when a zip is refused before (or while) it is inflated. `code` is stable:
 * - `zip_too_large`: it holds (or inflates to) more than the limits allow: a zip bomb, honest or lying.
 * - `zip_invalid`: it is not a zip we can read safely: truncated, bad offsets, overlapping or encrypted entries,
 *   unsupported compression, or records that disagree with each other.
 * Callers map the code to their own error (the API's `spreadsheet_*`, the agent's AgentError).
 */
export class ZipRefusal extends Error {
  constructor(
    readonly code: 'zip_too_large' | 'zip_invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ZipRefusal';
  }
}

export const tooLarge = (message: string) => new ZipRefusal('zip_too_large', message);
export const invalid = (message: string) => new ZipRefusal('zip_invalid', message);
