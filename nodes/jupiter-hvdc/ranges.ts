/**
 * Physical ranges of the Jupiter reading keys (docs/design.md §3.3), walked by lib/plausibility.ts, and the check
 * of one decoded SNMP answer. An agent can hand over any number its encoding allows (an ENTITY-SENSOR scale
 * of 10^303 turns 179 into 1.79e308 V), so a value no J540/J560 can have is dropped and named rather than sent,
 * and never moves an alarm threshold. Bounds sit well past the unit's figures (docs/jupiter-hvdc.md §1.1).
 */
import { screenReading, type RangeTable, type Violation } from '../../lib/plausibility';
import type { DecodedUnit, JupiterProfile } from './profile';

/**
 * DC bus, LOAD output and battery: 204–288 V output, a 230 V battery (docs/jupiter-hvdc.md §1.1). 400 V is above
 * any over-voltage the rectifiers would let through before shutting down, and well below a stray register.
 */
const DC_V = { min: 0, max: 400, unit: 'V' } as const;
const TEMPERATURE = { min: -55, max: 150, unit: '°C' } as const;
/** RFC 1628 NonNegativeInteger */
const COUNT = { min: 0, max: 2_147_483_647, unit: '' } as const;

export const JUPITER_RANGES: RangeTable = {
  dcOutputVoltage: DC_V,
  loadVoltage: DC_V,
  batteryVoltage: DC_V,
  // 12 kW from a battery near its cut-off draws about 60 A; the charger gives 2 A
  batteryCurrent: { min: -500, max: 500, unit: 'A' },
  soc: { min: 0, max: 100, unit: '%' },
  batteryTemperature: TEMPERATURE,
  // 176–300 V in operation; the manual's AC-interruption record ends at 398.90 (docs/jupiter-hvdc.md §2.3), so
  // readings near 400 V occur
  acInputVoltage: { min: 0, max: 600, unit: 'V' },
  acInputFrequency: { min: 0, max: 100, unit: 'Hz' },
  'cellVoltages[*]': { min: 0, max: 5, unit: 'V' },
  cellMin: { min: 0, max: 5, unit: 'V' },
  cellMax: { min: 0, max: 5, unit: 'V' },
  cellDelta: { min: 0, max: 5, unit: 'V' },
  // four rectifier slots per chassis (docs/jupiter-hvdc.md §1); agents may count every module
  rectifierCount: { min: 0, max: 16, unit: '' },
  // no rectifier carries more than the whole system's ~60 A; the sign is not checked, idle offsets read below 0
  'rectifiers[*].current': { min: -100, max: 100, unit: 'A' },
  secondsOnBattery: { ...COUNT, unit: 's' },
  estimatedMinutesRemaining: COUNT,
  // RFC 1628 upsOutputPercentLoad: 0..200
  outputLoad: { min: 0, max: 200, unit: '%' },
  alarmsPresent: { min: 0, max: 0xffffffff, unit: '' },
};

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
