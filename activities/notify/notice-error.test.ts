import { describe, expect, it } from 'vitest';
import { NOTIFY_FAILURES } from '../../contracts/index.js';
import { answerFailure } from './notice-error.js';

describe('a receiver\'s answer', () => {
  it('is taken on 2xx, retried on 408, 429 and 5xx, final on other 4xx and on redirects', () => {
    expect(answerFailure(200, null, 'x')).toBeUndefined();
    expect(answerFailure(204, null, 'x')).toBeUndefined();
    for (const status of [408, 429, 500, 502, 503]) expect(answerFailure(status, null, 'x')).toMatchObject({ code: NOTIFY_FAILURES.unavailable, retryable: true });
    for (const status of [400, 401, 403, 404, 410]) expect(answerFailure(status, null, 'x')).toMatchObject({ code: NOTIFY_FAILURES.refused, retryable: false });
    expect(answerFailure(302, null, 'x')).toMatchObject({ code: NOTIFY_FAILURES.refused, retryable: false, message: 'x answered 302 (redirects are not followed)' });
  });

  it('keeps the receiver\'s Retry-After (seconds, at most five minutes)', () => {
    expect(answerFailure(429, '7', 'x')?.retryAfterMs).toBe(7_000);
    expect(answerFailure(429, '100000', 'x')?.retryAfterMs).toBe(300_000);
    expect(answerFailure(429, 'soon', 'x')?.retryAfterMs).toBeUndefined();
  });
});
