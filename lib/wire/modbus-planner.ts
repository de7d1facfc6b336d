/**
 * Read planner: turns the registers a node wants into the fewest Modbus reads of at most 125 registers.
 *
 * A controller answers one request at a time, so the request count is what a poll costs (docs/bacs.md §7.4:
 * 10-200 ms per request on embedded Modbus/TCP servers, against microseconds per extra register). The plan is
 * therefore optimal lexicographically: first the fewest requests, then, among plans with that many requests,
 * the fewest registers read. Gaps between wanted registers are bridged when that saves a request and never
 * when it does not; `maxGap` forbids bridging longer gaps (for controllers that answer exception 2 to
 * undocumented registers).
 *
 * Minimality: the dynamic programme below considers, for every start, every window end that can be part of an
 * optimal plan (an optimal plan can always be shrunk to windows starting and ending on wanted registers, and a
 * window's end moved on to the end of its run or its reach), so its result is the true minimum, not a
 * heuristic; test/unit/modbus-planner.test.ts checks it against exhaustive search.
 */
import { MAX_READ_REGISTERS } from './modbus-pdu';

export interface RegisterRange {
  address: number;
  count: number;
}

export interface PlannedRead extends RegisterRange {
  /** the wanted ranges this read serves (merged), so a failed bridged read can be split again */
  wanted: RegisterRange[];
}

export interface PlanOptions {
  /** registers per read, at most 125 (Modbus limit for FC 3/4) */
  maxCount?: number;
  /** longest run of unwanted registers a read may bridge; default: any that fits */
  maxGap?: number;
}

/** Sorted, merged wanted ranges (overlapping and adjacent ranges joined); invalid ranges dropped. */
export function normalizeRanges(ranges: RegisterRange[]): RegisterRange[] {
  const valid = ranges
    .filter((r) => Number.isInteger(r.address) && Number.isInteger(r.count) && r.count > 0 && r.address >= 0)
    .map((r) => ({ address: r.address, end: Math.min(r.address + r.count, 0x10000) }))
    .filter((r) => r.end > r.address)
    .sort((a, b) => a.address - b.address);
  const out: Array<{ address: number; end: number }> = [];
  for (const r of valid) {
    const last = out[out.length - 1];
    if (last && r.address <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out.map((r) => ({ address: r.address, count: r.end - r.address }));
}

/**
 * The minimal plan, over the wanted addresses (at most 65 536).
 */
export function planReads(ranges: RegisterRange[], options: PlanOptions = {}): PlannedRead[] {
  const maxCount = Math.max(1, Math.min(MAX_READ_REGISTERS, Math.floor(options.maxCount ?? MAX_READ_REGISTERS)));
  const maxGap = options.maxGap === undefined || options.maxGap < 0 ? Infinity : Math.floor(options.maxGap);
  const merged = normalizeRanges(ranges);
  const addresses: number[] = [];
  for (const r of merged) for (let a = r.address; a < r.address + r.count; a++) addresses.push(a);
  const n = addresses.length;
  if (n === 0) return [];

  // runEnd[k]: index of the last address of the contiguous run that contains addresses[k]
  const runEnd = new Int32Array(n);
  runEnd[n - 1] = n - 1;
  for (let k = n - 2; k >= 0; k--) runEnd[k] = addresses[k + 1] === addresses[k] + 1 ? runEnd[k + 1] : k;

  // best[i] = (requests, registers) to read addresses[i..n-1]; next[i] = index after the first window.
  // A window starting at i need only end at the end of a contiguous run or at its furthest reach: ending it
  // inside a run, one address short of both, can always be moved one address on without reading more
  // registers in total or needing more requests (the next window starts one later). So the candidates per
  // start are the run ends within reach plus the reach itself: O(n) for dense blocks, O(n × gaps) in general.
  const requests = new Float64Array(n + 1);
  const registers = new Float64Array(n + 1);
  const next = new Int32Array(n + 1);
  let reach = n - 1;
  for (let i = n - 1; i >= 0; i--) {
    const start = addresses[i];
    while (addresses[reach] - start + 1 > maxCount) reach--;
    requests[i] = Infinity;
    registers[i] = Infinity;
    const consider = (j: number): void => {
      const req = 1 + requests[j + 1];
      const regs = addresses[j] - start + 1 + registers[j + 1];
      if (req < requests[i] || (req === requests[i] && regs < registers[i])) {
        requests[i] = req;
        registers[i] = regs;
        next[i] = j + 1;
      }
    };
    let j = i;
    for (;;) {
      const end = Math.min(runEnd[j], reach);
      consider(end);
      if (end === reach || end + 1 >= n) break;
      // bridging the gap after this run: allowed only up to maxGap
      if (addresses[end + 1] - addresses[end] - 1 > maxGap) break;
      j = end + 1;
    }
  }

  const plan: PlannedRead[] = [];
  for (let i = 0; i < n; i = next[i]) {
    const first = addresses[i];
    const last = addresses[next[i] - 1];
    plan.push({ address: first, count: last - first + 1, wanted: [] });
  }
  // Attach the wanted pieces to the read that covers them.
  for (const read of plan) {
    const end = read.address + read.count;
    for (const r of merged) {
      const a = Math.max(r.address, read.address);
      const b = Math.min(r.address + r.count, end);
      if (b > a) read.wanted.push({ address: a, count: b - a });
    }
  }
  return plan;
}

/** Fewest requests any plan can have (a lower bound the tests and the benchmark compare against). */
export function minimumRequests(ranges: RegisterRange[], options: PlanOptions = {}): number {
  // Greedy left-aligned windows are optimal for covering points on a line with fixed-length windows.
  const maxCount = Math.max(1, Math.min(MAX_READ_REGISTERS, Math.floor(options.maxCount ?? MAX_READ_REGISTERS)));
  const maxGap = options.maxGap === undefined || options.maxGap < 0 ? Infinity : Math.floor(options.maxGap);
  const merged = normalizeRanges(ranges);
  let count = 0;
  let windowStart = -1;
  let lastCovered = -1;
  for (const r of merged) {
    for (let a = r.address; a < r.address + r.count; a++) {
      if (windowStart >= 0 && a - windowStart < maxCount && a - lastCovered - 1 <= maxGap) {
        lastCovered = a;
        continue;
      }
      count++;
      windowStart = a;
      lastCovered = a;
    }
  }
  return count;
}

/** Values read by a plan, looked up by protocol address. */
export class RegisterSnapshot {
  private readonly values = new Map<number, number>();

  set(address: number, registers: number[]): void {
    registers.forEach((value, i) => this.values.set(address + i, value));
  }

  get(address: number): number | undefined {
    return this.values.get(address);
  }

  has(address: number, count = 1): boolean {
    for (let i = 0; i < count; i++) if (!this.values.has(address + i)) return false;
    return true;
  }

  /** count registers from address; undefined if any of them was not read */
  slice(address: number, count: number): number[] | undefined {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = this.values.get(address + i);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }

  get size(): number {
    return this.values.size;
  }
}
