/**
 * What every benchmark prints: the figure it measured beside a peer's or a physical limit's, measured in the
 * same run, as a ratio, with the target the issue sets. One line per comparison, aligned, plus a JSON line
 * per comparison (prefixed `BENCH `) that tools can grep.
 */
export interface Comparison {
  /** what was measured, e.g. "alarm engine evaluations/s at 1,000 alarms" */
  name: string;
  measured: number;
  /** the peer's or the limit's figure from the same run */
  reference: number;
  /** what the reference is, e.g. "core filter node", "wire-time limit" */
  referenceName: string;
  unit: string;
  /** true when a bigger measured figure is better (rates); false for times, CPU, bytes */
  higherIsBetter: boolean;
  /** the target ratio measured/reference (for rates) or reference/measured... expressed as text, e.g. ">= 0.8" */
  target?: { ratio: number; comparison: '>=' | '<=' };
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

/** measured / reference; compare against the target as the issue states it */
export function ratioOf(c: Comparison): number {
  return c.reference === 0 ? Infinity : c.measured / c.reference;
}

export function meetsTarget(c: Comparison): boolean | undefined {
  if (!c.target) return undefined;
  const r = ratioOf(c);
  return c.target.comparison === '>=' ? r >= c.target.ratio : r <= c.target.ratio;
}

export function report(comparisons: Comparison[]): void {
  const rows = comparisons.map((c) => {
    const ok = meetsTarget(c);
    return [
      c.name,
      `${format(c.measured)} ${c.unit}`,
      `${c.referenceName}: ${format(c.reference)} ${c.unit}`,
      `ratio ${format(ratioOf(c))}`,
      c.target ? `target ${c.target.comparison} ${c.target.ratio} ${ok ? 'MET' : 'MISSED'}` : '',
    ];
  });
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  for (const row of rows) process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n');
  for (const c of comparisons) {
    process.stdout.write('BENCH ' + JSON.stringify({ ...c, ratio: ratioOf(c), met: meetsTarget(c) }) + '\n');
  }
}

/** Runs fn repeatedly for at least minMs and returns operations per second. */
export function opsPerSecond(fn: (iterations: number) => void, minMs = 1000): number {
  let iterations = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    fn(iterations);
    const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsedMs >= minMs) return (iterations * 1000) / elapsedMs;
    iterations = Math.max(iterations * 2, Math.ceil((iterations * minMs) / Math.max(elapsedMs, 1)));
  }
}
