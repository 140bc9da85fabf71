import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  parsed: ParsedMail;
}

/**
 * A real local SMTP server (the `smtp-server` package) standing in for an organisation's mail server: it asks for
 * a login, takes mail on plain SMTP (no STARTTLS offered, as loopback may), and can refuse recipients with the
 * reply code a real server would use (452 mailbox full: try later; 550 no such user: never).
 */
export class SmtpSink {
  readonly mail: ReceivedMail[] = [];
  /** Every RCPT TO in order, refused or not: how often a recipient was tried. */
  readonly tried: string[] = [];
  readonly refuse = new Map<string, number>();
  private server: SMTPServer | undefined;

  constructor(private readonly login: { user: string; pass: string }) {}

  async start(): Promise<number> {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.login.user && auth.password === this.login.pass) callback(null, { user: auth.username });
        else callback(Object.assign(new Error('invalid login'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, callback) => {
        this.tried.push(address.address);
        const code = this.refuse.get(address.address);
        if (code) callback(Object.assign(new Error(code >= 500 ? 'no such user' : 'mailbox full, try later'), { responseCode: code }));
        else callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then((parsed) => {
          const from = session.envelope.mailFrom;
          this.mail.push({ to: session.envelope.rcptTo.map((r) => r.address), from: from ? from.address : '', parsed });
          callback();
        }, callback);
      },
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.server.address() as AddressInfo).port;
  }

  to(address: string): ReceivedMail[] {
    return this.mail.filter((m) => m.to.includes(address));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
