/**
 * Settles with `work`, or rejects with `expired()` after `ms`; the timer never outlives the race. The work itself
 * is not cancelled: callers that must stop it pass a signal of their own.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, expired: () => Error = () => new Error('timed out')): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
