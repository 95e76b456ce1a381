// Sends queued mail. Each row is leased before sending (its next attempt moved forward), so replicas
// never send one row at the same time; a failed send is retried with backoff and never blocks tasks.
import { PollingLoop, type Logger, type Metrics } from '@pp/platform';
import * as f from '../infra/followups.queries';
import type { MailTransport } from '../infra/mail-transport';
import type { FollowUpContext } from './context';

// A leased row is not sent by anyone else until the lease ends: longer than the slowest send (connect,
// greeting and socket timeouts of the transport) of a whole batch's turn.
const LEASE_MS = 60_000;
/** rows leased per round, and sent at most CONCURRENCY at a time (the SMTP pool's connections) */
const BATCH = 40;
const CONCURRENCY = 4;

export function backoffMs(attempts: number, maxMs: number): number {
  return Math.min(maxMs, 500 * 2 ** Math.max(0, attempts - 1));
}

export class MailSender {
  private readonly loop: PollingLoop;

  constructor(
    private readonly ctx: Pick<FollowUpContext, 'db' | 'clock'>,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    private readonly options: { pollMs: number; maxBackoffMs: number; from: string; metrics?: Metrics | undefined },
  ) {
    this.loop = new PollingLoop('mail', () => this.sendBatch(), options.pollMs, logger);
  }

  start(): void {
    this.loop.start();
  }

  nudge(): void {
    this.loop.nudge();
  }

  private async sendBatch(): Promise<number> {
    const { db, clock } = this.ctx;
    const batch = await db.transaction((trx) => f.leaseDueEmails(trx, clock(), LEASE_MS, BATCH));
    let sent = 0;
    // Several at once over the transport's pooled connections: one slow message does not hold the rest.
    let next = 0;
    const worker = async () => {
      while (next < batch.length) {
        const mail = batch[next++]!;
        if (await this.sendOne(mail)) sent += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.length) }, worker));
    // A batch that sent nothing stops the round; the poll brings the next retry.
    return sent;
  }

  private async sendOne(mail: f.EmailRow): Promise<boolean> {
    const { db, clock } = this.ctx;
    try {
      await this.transport.send({
        from: this.options.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: `<${mail.step_id}@follow-up.partner-payments>`,
      });
      await f.markEmail(db, mail.id, { sent_at: clock(), last_error: null });
      this.options.metrics?.mailSends.inc({ result: 'sent' });
      return true;
    } catch (error) {
      const delay = backoffMs(mail.attempts, this.options.maxBackoffMs);
      this.options.metrics?.mailSends.inc({ result: 'failed' });
      this.logger.warn({ err: error, emailId: mail.id, attempts: mail.attempts, retryInMs: delay }, 'sending mail failed; will retry');
      await f.markEmail(db, mail.id, {
        next_attempt_at: new Date(clock().getTime() + delay),
        last_error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.transport.close();
  }
}
