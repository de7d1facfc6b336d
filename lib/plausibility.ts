/**
 * Plausibility of decoded readings. A frame can pass its checksum and still be corrupt (JK02's 8-bit sum lets
 * about one multi-byte corruption in 256 through), and an SNMP agent or a Modbus controller can hand over any
 * number its encoding allows. Each device's schema gives the physical range of its reading keys
 * (`nodes/<device>/schema.ts`, turned into a table by `rangeTable` of lib/schema.ts); this walks a reading against
 * such a table.
 *
 * Pure: it never throws and never changes its input. The result is a copy of the reading without the
 * implausible values (a value that cannot be real is absent, never null or 0 — docs/design.md §3), the keys it
 * named, and whether the whole frame is nonsense and should be treated like a checksum error.
 */
import type { Unit } from './wire/envelope';

export interface PhysicalRange {
  /** inclusive bounds in the reading's unit */
  min: number;
  max: number;
  unit: Unit;
  /** a value outside the range means the whole frame is nonsense: reject it like a checksum error */
  critical?: boolean;
  /**
   * reading keys (top level) this key is computed from (cell statistics, power): when any of them is dropped this
   * key is dropped too, so nothing derived from an implausible value is sent
   */
  derivedFrom?: readonly string[];
}

/**
 * Ranges keyed by reading path: `voltage`, `cellVoltages[*]` (every element of an array of numbers),
 * `modules[*].voltage` (a field of every element of an array of objects). Nested `[*]` works too.
 */
export type RangeTable = { readonly [path: string]: PhysicalRange };

export interface Violation {
  /** concrete path of the value: `mosTemperature`, `cellVoltages[3]`, `modules[11].voltage` */
  key: string;
  value: number;
  min: number;
  max: number;
  unit: Unit;
}

export interface Screened<R> {
  /** a copy of the reading without implausible values and without keys derived from them */
  reading: R;
  /** the implausible values' paths, in table order (what `msg.badKeys` carries) */
  badKeys: string[];
  violations: Violation[];
  /** every path removed from the reading: the implausible ones (a whole array for one bad element) and derived keys */
  dropped: string[];
  /**
   * the frame is nonsense: a critical key is implausible, or more than `rejectShare` of the table entries present
   * are (an entry over an array counts by the share of its elements that are bad, so one bad module of forty
   * weighs 1/40)
   */
  rejected: boolean;
}

export interface ScreenOptions {
  /** share of the table entries present in the reading that may be implausible before the frame is rejected */
  rejectShare?: number;
}

/** Default share: more than half the keys out of range is not a frame with a few bad values, it is noise. */
export const DEFAULT_REJECT_SHARE = 0.5;

type Segment = { key: string } | { each: true };

const compiled = new WeakMap<RangeTable, Array<{ path: string; segments: Segment[]; range: PhysicalRange }>>();

function compile(table: RangeTable): Array<{ path: string; segments: Segment[]; range: PhysicalRange }> {
  let out = compiled.get(table);
  if (out) return out;
  out = Object.entries(table).map(([path, range]) => {
    const segments: Segment[] = [];
    for (const part of path.split('.')) {
      const m = /^([^[\]]*)((?:\[\*\])*)$/.exec(part);
      const key = m ? m[1] : part;
      if (key !== '') segments.push({ key });
      const stars = m ? m[2].length / 3 : 0;
      for (let i = 0; i < stars; i++) segments.push({ each: true });
    }
    return { path, segments, range };
  });
  compiled.set(table, out);
  return out;
}

type Container = { [key: string]: unknown } | unknown[];

function isPlainObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy of plain data (readings are JSON-like: numbers, strings, booleans, arrays, objects). */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => copy(v)) as unknown as T;
  if (isPlainObject(value)) {
    const out: { [key: string]: unknown } = {};
    for (const [k, v] of Object.entries(value)) out[k] = copy(v);
    return out as T;
  }
  return value;
}

interface Step {
  container: Container;
  key: string | number;
}

function pathText(trail: readonly Step[]): string {
  let text = '';
  for (const s of trail) text += typeof s.key === 'number' ? `[${s.key}]` : text === '' ? s.key : `.${s.key}`;
  return text;
}

/**
 * Checks `reading` against `table`. Non-numeric values at a ranged path are left alone (a boolean or a text is
 * not a measurement); NaN and ±Infinity at a ranged path are implausible.
 */
export function screenReading<R extends object>(reading: R, table: RangeTable, options: ScreenOptions = {}): Screened<R> {
  const out = copy(reading) as R;
  const root = out as unknown as { [key: string]: unknown };
  const violations: Violation[] = [];
  /** where to delete: an element of an array cannot go without shifting the others, so its array goes whole */
  const targets: Step[][] = [];
  let checked = 0;
  let bad = 0;
  let criticalBad = false;

  for (const entry of compile(table)) {
    let seen = 0;
    let entryBad = 0;
    const visit = (node: unknown, at: number, trail: Step[]): void => {
      if (at === entry.segments.length) {
        if (typeof node !== 'number') return;
        seen++;
        const { min, max, unit } = entry.range;
        if (Number.isFinite(node) && node >= min && node <= max) return;
        entryBad++;
        violations.push({ key: pathText(trail), value: node, min, max, unit });
        let cut = trail.length;
        while (cut > 0 && Array.isArray(trail[cut - 1].container)) cut--;
        if (cut > 0) targets.push(trail.slice(0, cut));
        return;
      }
      const seg = entry.segments[at];
      if ('each' in seg) {
        if (!Array.isArray(node)) return;
        node.forEach((item, i) => visit(item, at + 1, [...trail, { container: node, key: i }]));
        return;
      }
      if (!isPlainObject(node) || !Object.prototype.hasOwnProperty.call(node, seg.key)) return;
      visit(node[seg.key], at + 1, [...trail, { container: node, key: seg.key }]);
    };
    visit(root, 0, []);
    if (seen === 0) continue;
    checked++;
    bad += entryBad / seen;
    if (entryBad > 0 && entry.range.critical) criticalBad = true;
  }

  const dropped: string[] = [];
  for (const trail of targets) {
    const last = trail[trail.length - 1];
    const container = last.container as { [key: string]: unknown };
    const text = pathText(trail);
    if (dropped.includes(text)) continue;
    delete container[last.key as string];
    dropped.push(text);
  }
  // derived keys go with their sources
  const droppedTop = new Set(dropped.map((d) => d.split(/[.[]/)[0]));
  for (const [path, range] of Object.entries(table)) {
    if (!range.derivedFrom || !range.derivedFrom.some((k) => droppedTop.has(k))) continue;
    if (path.includes('[') || path.includes('.') || !Object.prototype.hasOwnProperty.call(root, path)) continue;
    delete root[path];
    dropped.push(path);
  }

  const share = options.rejectShare ?? DEFAULT_REJECT_SHARE;
  return {
    reading: out,
    badKeys: violations.map((v) => v.key),
    violations,
    dropped,
    rejected: criticalBad || (checked > 0 && bad > share * checked),
  };
}

/**
 * The implausible keys with their ranges for an error text: `cellVoltages[3] (0…5 V), mosTemperature (−55…150 °C)`.
 * Values are left out on purpose: the text then stays the same while the same keys stay bad, so an error is
 * reported once per change of state, not once per corrupted frame.
 */
export function describeViolations(violations: readonly Violation[], max = 6): string {
  const parts = violations.slice(0, max).map((v) => `${v.key} (${v.min}…${v.max}${v.unit ? ' ' + v.unit : ''})`);
  if (violations.length > max) parts.push(`+${violations.length - max}`);
  return parts.join(', ');
}

/**
 * The bad keys under one part of a reading, relative to it: `modules[11].` of `modules[11].voltage` → `voltage`.
 * Used where one reading goes out as several messages (one per module or per string).
 */
export function badKeysUnder(badKeys: readonly string[], prefix: string): string[] {
  return badKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}
