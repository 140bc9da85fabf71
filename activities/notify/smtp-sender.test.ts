import { describe, expect, it } from 'vitest';
import { NOTIFY_FAILURES } from '../../contracts/index.js';
import { smtpFailure, smtpOptions } from './smtp-sender.js';

describe('how NEXUS reaches its mail server', () => {
  it('insists on STARTTLS to anything but this machine, and checks the certificate', () => {
    expect(smtpOptions({ url: 'smtp://nexus%40school.example:p%40ss@mail.school.example', timeoutMs: 5_000 })).toMatchObject({
      host: 'mail.school.example', port: 587, secure: false, requireTLS: true, auth: { user: 'nexus@school.example', pass: 'p@ss' }, tls: { rejectUnauthorized: true },
    });
    expect(smtpOptions({ url: 'smtps://mail.school.example', timeoutMs: 5_000 })).toMatchObject({ port: 465, secure: true, requireTLS: false });
    expect(smtpOptions({ url: 'smtp://127.0.0.1:2525', timeoutMs: 5_000 })).toMatchObject({ host: '127.0.0.1', port: 2525, requireTLS: false });
    expect(smtpOptions({ url: 'smtp://[::1]:2525', timeoutMs: 5_000 })).toMatchObject({ host: '::1', requireTLS: false });
    // 127.0.0.2 is loopback to Linux but not by name: NEXUS treats only the names it knows as this machine.
    expect(smtpOptions({ url: 'smtp://127.0.0.2:2525', timeoutMs: 5_000 }).requireTLS).toBe(true);
    expect(smtpOptions({ url: 'smtp://mail.school.example', timeoutMs: 5_000 })).not.toHaveProperty('auth');
  });

  it('retries a 4xx reply and a dropped connection, and gives up at once on 5xx, a refused login or missing TLS', () => {
    expect(smtpFailure({ responseCode: 452, message: 'mailbox full' })).toMatchObject({ code: NOTIFY_FAILURES.unavailable, retryable: true });
    expect(smtpFailure({ code: 'ECONNECTION', message: 'closed' })).toMatchObject({ code: NOTIFY_FAILURES.unavailable, retryable: true });
    expect(smtpFailure({ code: 'ETIMEDOUT', message: 'timeout' })).toMatchObject({ retryable: true });
    expect(smtpFailure({ responseCode: 550, message: 'no such user' })).toMatchObject({ code: NOTIFY_FAILURES.refused, retryable: false });
    for (const code of ['EAUTH', 'ETLS', 'EENVELOPE']) expect(smtpFailure({ code, message: code })).toMatchObject({ code: NOTIFY_FAILURES.refused, retryable: false });
    expect(smtpFailure({ responseCode: 550, message: 'line one\nline two' }).message).toBe('the mail server: line one');
  });
});
