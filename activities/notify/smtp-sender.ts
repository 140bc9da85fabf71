import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { NOTIFY_FAILURES } from '../../contracts/index.js';
import { isLoopback } from '../../contracts/loopback.js';
import { NoticeError } from './notice-error.js';

export interface SmtpSettings {
  /** `smtp://[user:password@]host[:port]` (STARTTLS) or `smtps://…` (TLS from the first byte). */
  url: string;
  from: string;
  timeoutMs: number;
}

/**
 * How NEXUS reaches its mail server. A message carries an approval link, a credential: to anything but this machine
 * it goes encrypted, `smtps://` or a STARTTLS nodemailer insists on (a server that does not offer it is refused, not
 * talked to in the clear), and the server's certificate is checked.
 */
export function smtpOptions(settings: Pick<SmtpSettings, 'url' | 'timeoutMs'>): SMTPTransport.Options {
  const url = new URL(settings.url);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !isLoopback(host),
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
    tls: { rejectUnauthorized: true },
  };
}

/** nodemailer's codes for what another try would not change: a login, the TLS NEXUS insists on, the address. */
const FINAL_CODES = new Set(['EAUTH', 'ENOAUTH', 'ETLS', 'ECONFIG', 'EENVELOPE', 'EMESSAGE']);

/**
 * The SMTP server's answer as a NoticeError: a 4xx reply, a dropped connection or a timeout is "later"; a 5xx reply
 * (no such mailbox, refused as spam), a refused login, a server without the TLS NEXUS insists on, or an address the
 * server will not take is "never".
 */
export function smtpFailure(err: unknown): NoticeError {
  const { responseCode, code, message } = err as { responseCode?: number; code?: string; message?: string };
  const what = `the mail server: ${(message ?? String(err)).split('\n')[0]?.slice(0, 200) ?? ''}`;
  if (typeof responseCode === 'number' && responseCode >= 500) return new NoticeError(NOTIFY_FAILURES.refused, what, false);
  if (typeof responseCode === 'number' && responseCode >= 400) return new NoticeError(NOTIFY_FAILURES.unavailable, what, true);
  if (code !== undefined && FINAL_CODES.has(code)) return new NoticeError(NOTIFY_FAILURES.refused, what, false);
  return new NoticeError(NOTIFY_FAILURES.unavailable, what, true);
}

/** Sends one message per call over one kept transport; failures come back as NoticeErrors. */
export class SmtpSender {
  private readonly transport;

  constructor(private readonly settings: SmtpSettings) {
    this.transport = createTransport(smtpOptions(settings));
  }

  async send(message: { to: string; subject: string; text: string; html: string; messageId: string; headers: Record<string, string> }): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.settings.from, ...message });
    } catch (err) {
      throw smtpFailure(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}
