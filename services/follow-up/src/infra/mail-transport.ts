// Outgoing mail: SMTP through nodemailer when SMTP_URL is set; otherwise (the embedded default) each
// message is written as an .eml file under DATA_DIR/mail, where a developer can read it.
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createTransport } from 'nodemailer';

export interface MailMessage {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** stable per step, so a receiver can recognise a duplicate */
  readonly messageId: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'files';
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function smtpTransport(url: string): MailTransport {
  // Pooled: connections are reused across messages (one SMTP handshake per connection, not per message).
  const transporter = createTransport(url, {
    pool: true,
    maxConnections: 4,
    maxMessages: 100,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as never);
  return {
    kind: 'smtp',
    send: async (m) => {
      await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, messageId: m.messageId });
    },
    close: () => transporter.close(),
  };
}

export function fileTransport(dir: string): MailTransport {
  const transporter = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'files',
    send: async (m) => {
      const info = await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, messageId: m.messageId });
      await mkdir(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${m.messageId.replace(/[^A-Za-z0-9-]/g, '_')}.eml`;
      await writeFile(path.join(dir, name), info.message as Buffer);
    },
    close: () => transporter.close(),
  };
}
