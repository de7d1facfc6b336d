/**
 * One bounded FIFO of requests per physical link (docs/design.md §1.3). Tasks run one at a time (or a few, for
 * links that allow it), with an optional quiet gap between them, a per-task timeout, and coalescing of
 * identical pending requests, so a slow or dead device costs one timeout and never an unbounded backlog.
 */
import { TimerSet } from './timers';

export class QueueFullError extends Error {
  constructor(capacity: number) {
    super(`request queue full (${capacity} waiting)`);
    this.name = 'QueueFullError';
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super('link closed');
    this.name = 'QueueClosedError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(ms: number, what?: string) {
    super(`${what ? what + ': ' : ''}no reply within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export interface WorkQueueOptions {
  /** most requests that may wait (not counting the ones running) */
  capacity: number;
  /** requests on the wire at once; 1 for a serial bus */
  concurrency?: number;
  /** quiet time after each request before the next starts (RS485 turnaround, JK boards' command gap) */
  gapMs?: number;
  /** default per-request timeout; 0 or undefined means none */
  timeoutMs?: number;
}

export interface TaskOptions {
  /** pending requests with the same key are coalesced into one */
  key?: string;
  timeoutMs?: number;
  /** a name for error messages */
  label?: string;
}

export type Task<T> = (signal: AbortSignal) => Promise<T>;

interface Entry {
  task: Task<unknown>;
  options: TaskOptions;
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class WorkQueue {
  private readonly waiting: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private running = 0;
  private closed = false;
  private readonly timers = new TimerSet();
  private readonly options: Required<WorkQueueOptions>;

  constructor(options: WorkQueueOptions) {
    this.options = { concurrency: 1, gapMs: 0, timeoutMs: 0, ...options };
  }

  get depth(): number {
    return this.waiting.length;
  }

  get inFlight(): number {
    return this.running;
  }

  enqueue<T>(task: Task<T>, options: TaskOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (options.key !== undefined) {
      const pending = this.byKey.get(options.key);
      if (pending) return pending.promise as Promise<T>;
    }
    if (this.waiting.length >= this.options.capacity) {
      return Promise.reject(new QueueFullError(this.options.capacity));
    }
    let resolve!: (value: unknown) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = { task: task as Task<unknown>, options, promise, resolve, reject };
    this.waiting.push(entry);
    if (options.key !== undefined) this.byKey.set(options.key, entry);
    this.pump();
    return promise as Promise<T>;
  }

  private pump(): void {
    while (!this.closed && this.running < this.options.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift() as Entry;
      if (entry.options.key !== undefined) this.byKey.delete(entry.options.key);
      this.running++;
      void this.run(entry).finally(() => {
        const release = (): void => {
          this.running--;
          this.pump();
        };
        if (this.options.gapMs > 0 && !this.closed) this.timers.timeout(release, this.options.gapMs);
        else release();
      });
    }
  }

  private async run(entry: Entry): Promise<void> {
    const controller = new AbortController();
    const timeoutMs = entry.options.timeoutMs ?? this.options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = Promise.resolve().then(() => entry.task(controller.signal));
      const value =
        timeoutMs > 0
          ? await Promise.race([
              work,
              new Promise<never>((_, rej) => {
                timer = this.timers.timeout(() => {
                  controller.abort();
                  rej(new RequestTimeoutError(timeoutMs, entry.options.label));
                }, timeoutMs);
              }),
            ])
          : await work;
      entry.resolve(value);
    } catch (err) {
      entry.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.timers.clear(timer);
    }
  }

  /** Rejects every waiting request and refuses new ones; running ones finish or time out on their own. */
  close(): void {
    this.closed = true;
    this.timers.close();
    const error = new QueueClosedError();
    for (const entry of this.waiting.splice(0)) entry.reject(error);
    this.byKey.clear();
  }
}
