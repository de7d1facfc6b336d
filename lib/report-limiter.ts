/**
 * Rate limit for reports about what arrives from the network. The first event of each (source, kind) is
 * reported at once; later ones only as a count, once per window, so a flood of bad datagrams costs a few log
 * lines a minute instead of one each. Bounded in memory and in lines: spoofed UDP sources cost an attacker
 * nothing, so past `maxKeys` sources the new ones share one overflow source per kind.
 */

export interface LimitedReport {
  /** the source as given to hit(), or OVERFLOW_SOURCE */
  source: string;
  kind: string;
  /** 1 for a first report; the number of events since the last report of this key otherwise */
  count: number;
  first: boolean;
  /** what the caller said about the first event (later ones are only counted) */
  detail?: string;
}

export interface ReportLimiterOptions {
  /** length of the counting window, ms (default one minute) */
  windowMs?: number;
  /** (source, kind) pairs tracked at once before new sources share the overflow source (default 32) */
  maxKeys?: number;
}

/** the source of reports about sources past the `maxKeys` bound */
export const OVERFLOW_SOURCE = '*';

interface Entry {
  source: string;
  kind: string;
  /** events since the last report */
  pending: number;
}

export class ReportLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly emit: (report: LimitedReport) => void,
    options: ReportLimiterOptions = {},
  ) {
    this.windowMs = Math.max(10, options.windowMs ?? 60_000);
    this.maxKeys = Math.max(1, options.maxKeys ?? 32);
  }

  /**
   * Counts one event. `detail` is only evaluated for a first report (a function avoids formatting text
   * that would be dropped). After close(), events are ignored.
   */
  hit(source: string, kind: string, detail?: string | (() => string | undefined)): void {
    if (this.closed) return;
    let key = `${kind}\u0000${source}`;
    let entry = this.entries.get(key);
    if (!entry && this.trackedPairs() >= this.maxKeys) {
      source = OVERFLOW_SOURCE;
      key = `${kind}\u0000${source}`;
      entry = this.entries.get(key);
    }
    if (entry) {
      entry.pending++;
      return;
    }
    this.entries.set(key, { source, kind, pending: 0 });
    this.arm();
    let text: string | undefined;
    try {
      text = typeof detail === 'function' ? detail() : detail;
    } catch {
      text = undefined;
    }
    this.send({ source, kind, count: 1, first: true, detail: text });
  }

  /** Reports every pending count now and forgets keys that were quiet for a whole window. */
  flush(): void {
    for (const [key, entry] of this.entries) {
      if (entry.pending > 0) {
        const count = entry.pending;
        entry.pending = 0;
        this.send({ source: entry.source, kind: entry.kind, count, first: false });
      } else {
        // quiet for a window: the next event from here is news again
        this.entries.delete(key);
      }
    }
    if (this.entries.size === 0) this.disarm();
  }

  /** Reports what is still pending and stops; later hits are ignored. */
  close(): void {
    if (this.closed) return;
    for (const entry of this.entries.values()) {
      if (entry.pending > 0) this.send({ source: entry.source, kind: entry.kind, count: entry.pending, first: false });
    }
    this.closed = true;
    this.entries.clear();
    this.disarm();
  }

  /** keys tracked now (for tests and status) */
  get size(): number {
    return this.entries.size;
  }

  private trackedPairs(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.source !== OVERFLOW_SOURCE) n++;
    return n;
  }

  private send(report: LimitedReport): void {
    try {
      this.emit(report);
    } catch {
      /* a broken reporter must not break whoever reports */
    }
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.windowMs);
    // a limiter must never keep a process alive on its own
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
