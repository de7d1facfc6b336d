/**
 * The one reading of a number a dialog stored (a string from the editor, a number from an imported flow).
 *
 * Behaviour, the same for every node: a value that is not a finite number (missing, empty, text, NaN, Infinity)
 * takes `fallback`; a finite number outside [min, max] is clamped to the nearer bound, because the user meant a
 * number and the nearest allowed one is closer to it than a default; `integer` rounds after clamping.
 */
export interface ConfigNumberLimits {
  fallback: number;
  min?: number;
  max?: number;
  integer?: boolean;
}

export function configNumber(value: unknown, limits: ConfigNumberLimits): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return limits.fallback;
  const clamped = Math.min(limits.max ?? Infinity, Math.max(limits.min ?? -Infinity, n));
  return limits.integer === true ? Math.round(clamped) : clamped;
}

/** A duration the dialog holds in seconds, as milliseconds (whole ms). */
export function configSeconds(value: unknown, limits: ConfigNumberLimits): number {
  return Math.round(configNumber(value, limits) * 1000);
}
