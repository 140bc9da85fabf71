/** Thrown by agents; `code` is stable and ends up in `task_failed.payload.error.code`. */
export class AgentError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
