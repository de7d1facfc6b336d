/**
 * "Only on change" with a numeric deadband per key (docs/node-red-notes.md B1). The first reading after start,
 * reconnect or reset always passes (victron #279: users expect the first value).
 */
import type { ReadingValue } from './wire/envelope';

export interface ChangeFilterOptions {
  /** absolute deadband per key; a numeric change within it is not a change */
  deadbands?: { [key: string]: number };
  /** deadband for numeric keys not listed */
  defaultDeadband?: number;
}

function differs(a: ReadingValue | undefined, b: ReadingValue | undefined, deadband: number): boolean {
  if (a === undefined || b === undefined) return a !== b;
  if (typeof a === 'number' && typeof b === 'number') return deadband > 0 ? Math.abs(a - b) > deadband : a !== b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return true;
    return a.some((item, i) => differs(item, b[i], deadband));
  }
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (differs(a[key], b[key], deadband)) return true;
    return false;
  }
  return a !== b;
}

export class ChangeFilter {
  /** last values sent, per device and key */
  private readonly sent = new Map<string, Map<string, ReadingValue>>();

  constructor(private readonly options: ChangeFilterOptions = {}) {}

  /** Keys of `reading` that changed beyond their deadband since last sent; records them as sent. */
  changedKeys(deviceKey: string, reading: { [key: string]: ReadingValue }): string[] {
    let last = this.sent.get(deviceKey);
    if (!last) {
      last = new Map();
      this.sent.set(deviceKey, last);
    }
    const changed: string[] = [];
    for (const [key, value] of Object.entries(reading)) {
      const deadband = this.options.deadbands?.[key] ?? this.options.defaultDeadband ?? 0;
      const previous = last.get(key);
      if (!last.has(key) || differs(previous, value, deadband)) {
        changed.push(key);
        last.set(key, value);
      }
    }
    return changed;
  }

  /** Whether anything in the reading changed; records the changed keys as sent. */
  changed(deviceKey: string, reading: { [key: string]: ReadingValue }): boolean {
    return this.changedKeys(deviceKey, reading).length > 0;
  }

  reset(deviceKey?: string): void {
    if (deviceKey === undefined) this.sent.clear();
    else this.sent.delete(deviceKey);
  }
}
