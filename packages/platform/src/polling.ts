// A background loop for durable work found by polling (due timers, retries, queued mail): every
// `pollMs`, or at once when nudged, it runs rounds until a round reports no work done. Rounds never
// overlap; a failed round is logged and the next poll tries again.
import type { Logger } from './logger';

export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    /** does one batch of work and returns how much it did */
    private readonly work: () => Promise<number>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.nudge(), this.pollMs);
    this.timer.unref();
    this.nudge();
  }

  /** Asks for a round soon (e.g. after a commit that queued work). */
  nudge(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = (async () => {
      try {
        do {
          this.again = false;
          while (!this.stopped && (await this.work()) > 0);
        } while (this.again && !this.stopped);
      } catch (error) {
        this.logger.warn({ err: error, loop: this.name }, `${this.name} round failed; will retry`);
      } finally {
        this.round = undefined;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
  }
}
