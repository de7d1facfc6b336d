/**
 * A poller re-arms itself after each poll completes: no overlap, no backlog (docs/node-red-notes.md B2 #3). Any input
 * message is "poll now"; failures back off; a watchdog reports stale data when no good poll happened within staleMs
 * (docs/node-red-notes.md B2 #2, "green but dead").
 */
import { Backoff, BackoffOptions } from './backoff';
import { TimerSet } from './timers';

export interface PollerOptions {
  intervalMs: number;
  /** delay of the first poll after start */
  firstDelayMs?: number;
  /** back-off after failed polls; the next poll waits max(interval, backoff) */
  backoff?: BackoffOptions;
  /** no good poll for this long means stale; 0 disables */
  staleMs?: number;
  onStale?: (ageMs: number) => void;
  /** called with any error the poll function throws (it should not, but nothing may escape) */
  onError?: (err: Error) => void;
}

/** A poll resolves true when it got good data. */
export type PollFunction = () => Promise<boolean>;

export class Poller {
  private readonly timers = new TimerSet();
  private next: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private running = false;
  private pendingNow = false;
  private stopped = true;
  private lastGood = 0;
  private stale = false;
  private readonly backoff: Backoff | undefined;

  constructor(private readonly poll: PollFunction, private options: PollerOptions) {
    this.backoff = options.backoff ? new Backoff(options.backoff) : undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastGood = Date.now();
    this.schedule(this.options.firstDelayMs ?? 0);
    this.armStale();
  }

  /** Poll as soon as the current poll (if any) has finished. */
  pollNow(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pendingNow = true;
      return;
    }
    this.schedule(0);
  }

  setInterval(ms: number): void {
    this.options = { ...this.options, intervalMs: ms };
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  get lastGoodAt(): number {
    return this.lastGood;
  }

  get isRunning(): boolean {
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    this.timers.close();
  }

  private schedule(ms: number): void {
    this.timers.clear(this.next);
    this.next = this.timers.timeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    let good = false;
    try {
      good = await this.poll();
    } catch (err) {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
    this.running = false;
    if (this.stopped) return;
    if (good) {
      this.lastGood = Date.now();
      this.stale = false;
      this.backoff?.reset();
      this.armStale();
    }
    if (this.pendingNow) {
      this.pendingNow = false;
      this.schedule(0);
      return;
    }
    const wait = good || !this.backoff ? this.options.intervalMs : Math.max(this.options.intervalMs, this.backoff.next());
    this.schedule(wait);
  }

  private armStale(): void {
    const staleMs = this.options.staleMs ?? 0;
    if (staleMs <= 0) return;
    this.timers.clear(this.staleTimer);
    this.staleTimer = this.timers.timeout(() => this.checkStale(), staleMs);
  }

  private checkStale(): void {
    const staleMs = this.options.staleMs ?? 0;
    const age = Date.now() - this.lastGood;
    if (age >= staleMs && !this.stale) {
      this.stale = true;
      this.options.onStale?.(age);
    }
    // Keep watching so the status can show the growing age.
    this.staleTimer = this.timers.timeout(() => this.checkStale(), Math.max(1000, staleMs));
  }
}
