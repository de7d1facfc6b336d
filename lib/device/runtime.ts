/**
 * The device runtime every device node (jk-bms, bacs, jupiter-hvdc) runs on, so that a fourth device supplies
 * only its adapter (how to poll its link, how to turn answers into readings) and its dialog's settings:
 *
 * - one poll schedule per device (a pack, a unit, a controller): each re-arms after its own poll finished, backs
 *   off on its own failures and watches its own staleness, so a dead device costs only itself and never stalls
 *   the other devices on the same link (docs/node-red-notes.md B2 #2, #3);
 * - errors to Catch once per device and kind of error, until that error clears (ErrorOnce);
 * - one status at a time, sent only when it changes, and one summary of a fleet's qualities;
 * - closing: every schedule, timer and subscription is released on redeploy.
 */
import type { Quality } from '../wire/envelope';
import type { BackoffOptions } from '../backoff';
import { Poller } from '../poller';
import { asError, ErrorOnce } from '../red';
import type { NodeStatus, statusVocabulary } from '../status';
import { TimerSet } from '../timers';

/** the part of a Node-RED node the runtime drives */
export interface RuntimeNode {
  status(status: NodeStatus): void;
  error(err: Error, msg?: object): void;
}

export interface DeviceRuntimeOptions {
  /** the message that goes to Catch with an error; `key` is `device` or `device/kind` */
  errorMessage?: (err: Error, key: string) => object;
  /** how many devices of this node may poll at once (a bound on what one node puts in its link's queue) */
  concurrency?: number;
}

export interface ScheduleOptions {
  intervalMs: number;
  /** delay of the first poll */
  firstDelayMs?: number;
  /** back-off of this device's polls after failures; the next poll waits max(interval, back-off) */
  backoff?: BackoffOptions;
  /** no good poll of this device for this long calls onStale; 0 or absent: no watchdog */
  staleMs?: number;
  onStale?: (ageMs: number) => void;
}

/** A poll resolves true when it got good data. It should not throw; what it throws is reported as `device/poll`. */
export type DevicePoll = () => Promise<boolean>;

/** the two facts the status summary needs of each device */
export interface DeviceHealth {
  quality?: Quality;
  /** when the device last gave good data; 0: never */
  lastGood: number;
}

export interface HealthSummary {
  total: number;
  good: number;
  stale: number;
  commError: number;
  badData: number;
  /** the newest good read of the good devices */
  lastGoodAt: number;
  /** the oldest good read of all devices (now for one never read) */
  oldestGoodAt: number;
}

export function summarize(devices: Iterable<DeviceHealth>, now = Date.now()): HealthSummary {
  const s: HealthSummary = { total: 0, good: 0, stale: 0, commError: 0, badData: 0, lastGoodAt: 0, oldestGoodAt: now };
  for (const d of devices) {
    s.total++;
    if (d.quality === 'good') {
      s.good++;
      s.lastGoodAt = Math.max(s.lastGoodAt, d.lastGood);
    } else if (d.quality === 'stale') s.stale++;
    else if (d.quality === 'comm_error') s.commError++;
    else if (d.quality === 'bad_data') s.badData++;
    s.oldestGoodAt = Math.min(s.oldestGoodAt, d.lastGood || now);
  }
  return s;
}

export interface FleetTexts {
  /** what follows the time in a green or yellow status, e.g. "2/3 packs" */
  detail(good: number, total: number): string | undefined;
  /** the status when no device is good and none is stale (all failed, or none read yet: undefined keeps the last) */
  noneGood(summary: HealthSummary): NodeStatus | undefined;
}

/**
 * The one status shape of a node with several devices: green when all are good, yellow with the count when some
 * are, stale with the age when none is good but some were, else what the node says of its failed devices.
 */
export function fleetStatus(vocabulary: ReturnType<typeof statusVocabulary>, s: HealthSummary, texts: FleetTexts, now = Date.now()): NodeStatus | undefined {
  if (s.total === 0) return undefined;
  if (s.good > 0) {
    const status = vocabulary.ok(s.lastGoodAt, texts.detail(s.good, s.total));
    return s.good < s.total ? { ...status, fill: 'yellow' } : status;
  }
  if (s.stale > 0) return vocabulary.stale(now - s.oldestGoodAt);
  return texts.noneGood(s);
}

/** Errors go to Catch by key `device` or `device/kind`. */
export function errorKey(device: string, kind = ''): string {
  return kind === '' ? device : `${device}/${kind}`;
}

/** At most `limit` polls at once; the rest wait in order. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class DeviceRuntime {
  readonly timers = new TimerSet();
  private readonly errors: ErrorOnce;
  private readonly schedules: Array<{ device: string; poller: Poller }> = [];
  private readonly releases: Array<() => unknown> = [];
  private readonly gate: Gate | undefined;
  private lastStatus: string | undefined;
  private isClosed = false;

  constructor(
    private readonly node: RuntimeNode,
    options: DeviceRuntimeOptions = {},
  ) {
    const errorMessage = options.errorMessage ?? ((err: Error, key: string) => ({ topic: key, payload: err.message }));
    this.errors = new ErrorOnce((err, key) => node.error(err, errorMessage(err, key)));
    this.gate = options.concurrency !== undefined && options.concurrency > 0 ? new Gate(options.concurrency) : undefined;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Shows a status, once per change (a poll every second must not redraw an unchanged status). */
  status(status: NodeStatus): void {
    if (this.isClosed) return;
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.node.status(status);
  }

  /** Reports `err` to Catch unless this device already has an error of this kind in the same condition. */
  report(device: string, kind: string, err: Error): boolean {
    if (this.isClosed) return false;
    return this.errors.report(errorKey(device, kind), err);
  }

  /** The device's error of this kind is over: the next one is reported again. */
  clear(device: string, kind = ''): void {
    this.errors.clear(errorKey(device, kind));
  }

  hasError(device: string, kind = ''): boolean {
    return this.errors.has(errorKey(device, kind));
  }

  /** A setup error found in the constructor: reported once the flow's Catch nodes exist. */
  reportSoon(device: string, kind: string, err: Error): void {
    this.timers.timeout(() => this.report(device, kind, err), 250);
  }

  /** Starts one non-overlapping poll cycle for a device (`device` also names its errors). */
  schedule(device: string, poll: DevicePoll, options: ScheduleOptions): void {
    const gated: DevicePoll = this.gate ? () => (this.gate as Gate).run(poll) : poll;
    const poller = new Poller(
      async () => {
        if (this.isClosed) return false;
        try {
          return await gated();
        } catch (err) {
          if (!this.isClosed) this.report(device, 'poll', asError(err));
          return false;
        }
      },
      {
        intervalMs: options.intervalMs,
        firstDelayMs: options.firstDelayMs,
        backoff: options.backoff,
        staleMs: options.staleMs,
        onStale: (age) => {
          if (!this.isClosed) options.onStale?.(age);
        },
      },
    );
    this.schedules.push({ device, poller });
    if (!this.isClosed) poller.start();
  }

  /** Polls one device (or every device) as soon as its current poll, if any, has finished. */
  pollNow(device?: string): void {
    for (const s of this.schedules) if (device === undefined || s.device === device) s.poller.pollNow();
  }

  setInterval(ms: number): void {
    for (const s of this.schedules) s.poller.setInterval(ms);
  }

  /** Stops every schedule (the node goes on without polling, e.g. listening to another master). */
  stopPolling(): void {
    for (const s of this.schedules.splice(0)) s.poller.stop();
  }

  /** Something to release on close: a link registration, a subscription, a listener. Runs once, guarded. */
  onClose(release: () => unknown): void {
    this.releases.push(release);
  }

  /** Stops everything; resolves when every release (a link's deregistration) has finished or failed. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopPolling();
    this.timers.close();
    const releases = this.releases.splice(0).reverse();
    for (const release of releases) {
      try {
        await release();
      } catch {
        // the link may already be gone on a full redeploy
      }
    }
  }

  /** Wires the node's close handler to close(). */
  closeWith(node: { on(event: 'close', handler: (removed: boolean, done: () => void) => void): unknown }): void {
    node.on('close', (_removed: boolean, done: () => void) => {
      this.close().then(done, done);
    });
  }
}

/** A promise that settles within `ms` (a release that may hang must not hold up a redeploy). */
export function within(ms: number, work: () => unknown): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    Promise.resolve()
      .then(work)
      .catch(() => undefined)
      .then(() => {
        clearTimeout(timer);
        resolve();
      });
  });
}
