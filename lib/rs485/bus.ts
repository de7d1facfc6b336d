/**
 * One RS485 bus: one link, one bounded FIFO, strictly one request on the wire (docs/design.md §1.3;
 * docs/node-red-notes.md B2 #4, #5, #9). A request writes its bytes, then the framer cuts the replies and the
 * request's own `accept` decides which of them are its answer, so a late reply from another pack is ignored instead
 * of taken for this one. A silent device costs its own timeout; the link is never reopened because of a timeout or a
 * bad checksum, only when the port or gateway itself goes away, and then with exponential back-off until it is back.
 */
import { EventEmitter } from 'events';
import { Backoff } from '../backoff';
import { QueueClosedError, WorkQueue } from '../fifo';
import { TimerSet } from '../timers';
import { Frame, FrameDescription, Framer } from '../wire/framer';
import { createLink, describeLink, Link, LinkSettings } from './link';

export interface BusOptions {
  /** quiet time after each exchange before the next command (JK boards want >= 100 ms) */
  gapMs: number;
  /** default per-request timeout */
  timeoutMs: number;
  /** drop the bytes just sent when the adapter echoes them back (CH341 sticks) */
  echo: boolean;
  /** most requests that may wait */
  queueCapacity: number;
  /** reconnect back-off */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** a partial frame left this long with no new byte (and no request running) is dropped */
  idleFlushMs: number;
}

export const DEFAULT_BUS_OPTIONS: BusOptions = {
  gapMs: 100,
  timeoutMs: 500,
  echo: true,
  queueCapacity: 64,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  idleFlushMs: 250,
};

export type Verdict = 'done' | 'more' | 'ignore';

export interface Exchange<T> {
  /** bytes to send; empty = send nothing, just wait for what `accept` wants */
  bytes: Buffer;
  /** the frame formats that may answer */
  expect: readonly FrameDescription[];
  /**
   * Called with each frame the framer cuts while this request runs: `done` ends the request, `more` keeps the
   * frame and waits for more, `ignore` drops it (a late reply of another device).
   */
  accept(frame: Frame, kept: Frame[]): Verdict;
  /** turns the kept frames into the request's result */
  finish?(kept: Frame[]): T;
  timeoutMs?: number;
  /** identical pending requests coalesce */
  key?: string;
  label?: string;
}

export type BusState = 'connecting' | 'up' | 'down' | 'closed';

export class LinkDownError extends Error {
  constructor(link: string, cause?: Error) {
    super(`${link} is not connected${cause ? `: ${cause.message}` : ''}`);
    this.name = 'LinkDownError';
  }
}

export interface Traffic {
  direction: 'tx' | 'rx';
  bytes: Buffer;
  at: number;
}

interface Active {
  exchange: Exchange<unknown>;
  kept: Frame[];
  resolve(frames: Frame[]): void;
  reject(err: Error): void;
}

/**
 * Events: `state` (state, error?), `frame` (Frame: every frame seen, for listen-only nodes), `unsolicited` (Frame:
 * a frame that arrived while no request of ours was running), `traffic` (Traffic: raw bytes both ways, for hex
 * debugging).
 */
export class Rs485Bus extends EventEmitter {
  readonly options: BusOptions;
  private readonly queue: WorkQueue;
  private readonly framer = new Framer();
  private readonly timers = new TimerSet();
  private readonly backoff: Backoff;
  private link: Link | undefined;
  private stateValue: BusState = 'connecting';
  private lastError: Error | undefined;
  private active: Active | undefined;
  private echoPending: Buffer | undefined;
  private echoHeld: Buffer = Buffer.alloc(0);
  private idleTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private listeners_: Set<readonly FrameDescription[]> = new Set();
  private closed = false;
  private opening: Promise<void> | undefined;
  /** counters for status and diagnostics */
  readonly stats = { requests: 0, timeouts: 0, frames: 0, droppedBytes: 0, reconnects: 0 };

  constructor(readonly settings: LinkSettings, options: Partial<BusOptions> = {}, private readonly linkFactory = createLink) {
    super();
    this.options = { ...DEFAULT_BUS_OPTIONS, ...options };
    this.queue = new WorkQueue({ capacity: this.options.queueCapacity, concurrency: 1, gapMs: this.options.gapMs, timeoutMs: this.options.timeoutMs });
    this.backoff = new Backoff({ initialMs: this.options.reconnectMinMs, maxMs: this.options.reconnectMaxMs });
    // Nobody may be forced to listen for errors: state changes carry them.
    this.on('error', () => undefined);
  }

  get description(): string {
    return describeLink(this.settings);
  }

  get state(): BusState {
    return this.stateValue;
  }

  get error(): Error | undefined {
    return this.lastError;
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Opens the link now; later losses reopen it by themselves. */
  start(): void {
    if (this.closed || this.link || this.opening) return;
    this.opening = this.connect().finally(() => {
      this.opening = undefined;
    });
  }

  /** Resolves when the bus is up (or rejects after `ms`), for tests and the command-line tool. */
  waitUntilUp(ms: number): Promise<void> {
    if (this.stateValue === 'up') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', onState);
        reject(this.lastError ?? new Error(`${this.description} did not open within ${ms} ms`));
      }, ms);
      const onState = (state: BusState): void => {
        if (state === 'up' || state === 'closed') {
          clearTimeout(timer);
          this.off('state', onState);
          if (state === 'up') resolve();
          else reject(new Error('bus closed'));
        }
      };
      this.on('state', onState);
    });
  }

  private setState(state: BusState, err?: Error): void {
    const changed = state !== this.stateValue || (err && err.message !== this.lastError?.message);
    this.stateValue = state;
    if (err) this.lastError = err;
    if (state === 'up') this.lastError = undefined;
    if (changed) this.emit('state', state, err);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.setState('connecting');
    const link = this.linkFactory(this.settings);
    link.on('error', () => undefined);
    try {
      await link.open();
    } catch (err) {
      link.removeAllListeners();
      this.linkLost(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.closed) {
      await link.close();
      return;
    }
    this.link = link;
    link.on('data', (chunk: Buffer) => this.onData(chunk));
    link.once('close', (err?: Error) => {
      if (this.link !== link) return;
      this.link = undefined;
      link.removeAllListeners();
      link.on('error', () => undefined);
      if (!this.closed) this.linkLost(err ?? new Error(`${this.description} closed`));
    });
    this.backoff.reset();
    this.framer.reset();
    this.setState('up');
  }

  private linkLost(err: Error): void {
    if (this.closed) return;
    this.failActive(new LinkDownError(this.description, err));
    this.setState('down', err);
    const delay = this.backoff.next();
    this.stats.reconnects++;
    this.timers.clear(this.reconnectTimer);
    this.reconnectTimer = this.timers.timeout(() => {
      this.reconnectTimer = undefined;
      this.start();
    }, delay);
  }

  /**
   * Frames every listener wants while no request runs (listen-only mode). Returns the unsubscribe function.
   * Frames are delivered through the `frame` event.
   */
  listen(descriptions: readonly FrameDescription[]): () => void {
    this.listeners_.add(descriptions);
    if (!this.active) this.framer.setDescriptions(this.idleDescriptions());
    return () => {
      this.listeners_.delete(descriptions);
      if (!this.active) this.framer.setDescriptions(this.idleDescriptions());
    };
  }

  private idleDescriptions(): FrameDescription[] {
    const all: FrameDescription[] = [];
    for (const list of this.listeners_) all.push(...list);
    return all;
  }

  /** Queues one exchange; resolves with its result, rejects on timeout, link loss, full queue or close. */
  request<T = Frame[]>(exchange: Exchange<T>): Promise<T> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    return this.queue.enqueue(
      (signal) =>
        this.run(exchange as Exchange<unknown>, signal).then((kept) =>
          exchange.finish ? exchange.finish(kept) : (kept as unknown as T),
        ),
      { key: exchange.key, label: exchange.label, timeoutMs: exchange.timeoutMs ?? this.options.timeoutMs },
    );
  }

  private run(exchange: Exchange<unknown>, signal: AbortSignal): Promise<Frame[]> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (this.stateValue === 'connecting' && !this.link) {
      // Opening (first deploy, or a reconnect attempt under way): wait for it within this request's timeout
      // rather than failing a command sent right after deploy.
      return new Promise<void>((resolve, reject) => {
        const onState = (state: BusState): void => {
          if (state === 'connecting') return;
          this.off('state', onState);
          if (state === 'up') resolve();
          else reject(new LinkDownError(this.description, this.lastError));
        };
        this.on('state', onState);
        signal.addEventListener('abort', () => {
          this.off('state', onState);
          reject(new LinkDownError(this.description, this.lastError));
        });
      }).then(() => this.run(exchange, signal));
    }
    const link = this.link;
    if (!link || this.stateValue !== 'up') {
      return Promise.reject(new LinkDownError(this.description, this.lastError));
    }
    this.stats.requests++;
    return new Promise<Frame[]>((resolve, reject) => {
      const active: Active = { exchange, kept: [], resolve, reject };
      const end = (): void => {
        if (this.active === active) {
          this.active = undefined;
          this.echoPending = undefined;
          this.echoHeld = Buffer.alloc(0);
          this.framer.reset();
          this.framer.setDescriptions(this.idleDescriptions());
        }
      };
      active.resolve = (frames) => {
        end();
        resolve(frames);
      };
      active.reject = (err) => {
        end();
        reject(err);
      };
      signal.addEventListener('abort', () => {
        if (this.active === active) this.stats.timeouts++;
        active.reject(new Error('aborted'));
      });
      this.active = active;
      this.framer.reset();
      // only the answer's formats while a request runs: a broader format (Modbus RTU from any address) could
      // let stray bytes pose as the start of a long frame and hold the real answer until the timeout
      this.framer.setDescriptions(exchange.expect);
      this.timers.clear(this.idleTimer);
      this.echoPending = this.options.echo && exchange.bytes.length > 0 ? exchange.bytes : undefined;
      this.echoHeld = Buffer.alloc(0);
      if (exchange.bytes.length > 0) {
        this.emit('traffic', { direction: 'tx', bytes: exchange.bytes, at: Date.now() } satisfies Traffic);
        link.write(exchange.bytes).catch((err: Error) => active.reject(err));
      }
    });
  }

  private onData(chunk: Buffer): void {
    const at = Date.now();
    this.emit('traffic', { direction: 'rx', bytes: chunk, at } satisfies Traffic);
    let data = chunk;
    if (this.echoPending) {
      const held = Buffer.concat([this.echoHeld, chunk]);
      const echo = this.echoPending;
      const n = Math.min(held.length, echo.length);
      if (held.subarray(0, n).equals(echo.subarray(0, n))) {
        if (held.length < echo.length) {
          this.echoHeld = held;
          return;
        }
        data = held.subarray(echo.length);
      } else {
        data = held;
      }
      this.echoPending = undefined;
      this.echoHeld = Buffer.alloc(0);
    }
    if (!this.active && this.listeners_.size === 0) return;
    const before = this.framer.dropped;
    const frames = this.framer.push(data, at);
    this.stats.droppedBytes += this.framer.dropped - before;
    this.deliver(frames);
    this.timers.clear(this.idleTimer);
    if (this.framer.buffered > 0 && !this.active) {
      this.idleTimer = this.timers.timeout(() => this.onIdle(), this.options.idleFlushMs);
    }
  }

  private onIdle(): void {
    this.idleTimer = undefined;
    if (this.active) return;
    this.deliver(this.framer.flushStale());
    if (this.framer.buffered > 0) this.idleTimer = this.timers.timeout(() => this.onIdle(), this.options.idleFlushMs);
  }

  private deliver(frames: Frame[]): void {
    for (const frame of frames) {
      this.stats.frames++;
      this.emit('frame', frame);
      const active = this.active;
      if (!active) {
        // nobody asked for it: another master's traffic, or a reply that came after its request timed out
        this.emit('unsolicited', frame);
        continue;
      }
      if (!active.exchange.expect.some((d) => d.protocol === frame.protocol)) continue;
      let verdict: Verdict;
      try {
        verdict = active.exchange.accept(frame, active.kept);
      } catch (err) {
        active.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (verdict === 'ignore') continue;
      active.kept.push(frame);
      if (verdict === 'done') active.resolve(active.kept);
    }
  }

  private failActive(err: Error): void {
    this.active?.reject(err);
  }

  /** Closes the link and every timer; waiting requests are rejected. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.close();
    this.queue.close();
    const link = this.link;
    this.link = undefined;
    this.failActive(new QueueClosedError());
    if (this.opening) await this.opening.catch(() => undefined);
    this.failActive(new QueueClosedError());
    if (link) {
      link.removeAllListeners();
      link.on('error', () => undefined);
      await link.close();
    }
    this.setState('closed');
    this.removeAllListeners('frame');
    this.removeAllListeners('unsolicited');
    this.removeAllListeners('traffic');
  }

  /** Timers this bus holds (queue gaps and timeouts are inside the queue), for leak tests. */
  get timerCount(): number {
    return this.timers.size;
  }
}
