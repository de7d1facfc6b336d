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

/** 1 to `maxEdits` random byte edits of a captured frame: overwrite, insert, delete or truncate. */
export function mutateBytes(rand: () => number, seed: Uint8Array, maxEdits: number): Buffer {
  let f: Buffer = Buffer.from(seed);
  const edits = 1 + Math.floor(rand() * maxEdits);
  for (let e = 0; e < edits; e++) {
    const kind = rand();
    const at = Math.floor(rand() * Math.max(1, f.length));
    if (kind < 0.55 && f.length > 0) f[at] = Math.floor(rand() * 256);
    else if (kind < 0.7) f = Buffer.concat([f.subarray(0, at), Buffer.of(Math.floor(rand() * 256)), f.subarray(at)]);
    else if (kind < 0.85 && f.length > 0) f = Buffer.concat([f.subarray(0, at), f.subarray(at + 1)]);
    else f = f.subarray(0, at);
  }
  return f;
}
