/** What every seeded fuzz test shares: a small reproducible PRNG and a deep finite-number check. */

/** mulberry32: the same sequence for the same seed on every run and machine */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every number anywhere in a value is finite (plain checks: chai per value would dominate the time). */
export function allFinite(value: unknown, where: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${where}: ${value}`);
  if (Array.isArray(value)) value.forEach((v, i) => allFinite(v, `${where}[${i}]`));
  else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) for (const [k, v] of Object.entries(value)) allFinite(v, `${where}.${k}`);
}
