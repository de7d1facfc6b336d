/**
 * The plausibility check of one decoded SNMP answer against the physical ranges of the Jupiter schema (schema.ts,
 * docs/design.md §3.3): a value no J540/J560 can have is dropped and named rather than sent, and never moves an
 * alarm threshold.
 */
import { screenReading, type Violation } from '../../lib/plausibility';
import type { DecodedUnit, JupiterProfile } from './profile';
import { JUPITER_RANGES } from './schema';

/** A decoded answer after the check, with what was out of range and the ranges it left (for error texts). */
export type CheckedUnit = DecodedUnit & { violations?: Violation[] };

/**
 * Drops the values of one answer that no unit can have. They are also listed under `invalid` (like a sentinel)
 * and leave `sensors` when an ENTITY-SENSOR row supplied them. An answer whose numbers are mostly out of range
 * keeps no value at all (`rejected`), only its flags and alarm table.
 */
export function screenUnit(decoded: DecodedUnit, profile?: JupiterProfile): CheckedUnit {
  const whole = { ...decoded.values, ...(decoded.rectifiers ? { rectifiers: decoded.rectifiers } : {}) };
  const s = screenReading(whole, JUPITER_RANGES);
  if (s.badKeys.length === 0) return decoded;
  const { rectifiers, ...values } = s.reading as typeof whole & { rectifiers?: DecodedUnit['rectifiers'] };
  const out: CheckedUnit = { ...decoded, values, badKeys: s.badKeys, violations: s.violations };
  if (rectifiers) out.rectifiers = rectifiers;
  if (s.rejected) {
    out.rejected = true;
    out.values = {};
    if (out.rectifiers) out.rectifiers = out.rectifiers.map(({ current: _current, ...r }) => r);
  }
  const droppedKeys = new Set(s.dropped.map((d) => d.split(/[.[]/)[0]));
  out.invalid = [...decoded.invalid, ...[...droppedKeys].filter((k) => !decoded.invalid.includes(k))];
  if (profile && profile.entityMap.length > 0) {
    const sensors = { ...decoded.sensors };
    for (const m of profile.entityMap) if (droppedKeys.has(m.key) || out.rejected) delete sensors[m.sensor];
    out.sensors = sensors;
  }
  return out;
}
