/**
 * The keys the PLC bridge can serve, per device kind, as data (DESIGN "The message every device node sends").
 * Each entry says where the value sits in the envelope's payload, its unit, the default scale (register =
 * round(value x scale)) and the register format. Signed formats where the value can be negative (current,
 * power, temperature); 32-bit where the range at that scale needs it. Adding a key is one line here.
 */

/** `bool` is one register holding 0 or 1 */
export type RegisterFormat = 'int16' | 'uint16' | 'int32' | 'uint32' | 'bool';
export const REGISTER_FORMATS: readonly RegisterFormat[] = ['int16', 'uint16', 'int32', 'uint32', 'bool'];

export interface KeySpec {
  key: string;
  /** where in payload: `voltage`, `cellVoltages[*]`, `strings[*].voltage`; `[*]` = one register run per element */
  path: string;
  unit: string;
  scale: number;
  format: RegisterFormat;
  /** arrays: elements served by default and at most */
  count?: number;
  maxCount?: number;
  /** arrays held as objects keyed by number (Jupiter `contacts`): the key of element 0 */
  indexBase?: number;
}

export type BridgeKind = 'jk-bms' | 'jk-balancer' | 'bacs' | 'jupiter-hvdc' | 'custom';
export const BRIDGE_KINDS: readonly BridgeKind[] = ['jk-bms', 'jk-balancer', 'bacs', 'jupiter-hvdc', 'custom'];

const k = (key: string, unit: string, scale: number, format: RegisterFormat, extra: Partial<KeySpec> = {}): KeySpec => ({
  key,
  path: key,
  unit,
  scale,
  format,
  ...extra,
});
/** an array of numbers, `key[*]` */
const arr = (key: string, unit: string, scale: number, format: RegisterFormat, count: number, maxCount: number, extra: Partial<KeySpec> = {}): KeySpec => ({
  key,
  path: `${key}[*]`,
  unit,
  scale,
  format,
  count,
  maxCount,
  ...extra,
});
/** one field of an array of objects, `list[*].field`, served under the key `list.field` */
const field = (list: string, name: string, unit: string, scale: number, format: RegisterFormat, count: number, maxCount: number): KeySpec => ({
  key: `${list}.${name}`,
  path: `${list}[*].${name}`,
  unit,
  scale,
  format,
  count,
  maxCount,
});

const JK_KEYS: readonly KeySpec[] = [
  k('voltage', 'V', 100, 'uint16'),
  k('current', 'A', 100, 'int32'),
  k('power', 'W', 1, 'int32'),
  k('soc', '%', 1, 'uint16'),
  k('soh', '%', 1, 'uint16'),
  k('cellMin', 'V', 1000, 'uint16'),
  k('cellMax', 'V', 1000, 'uint16'),
  k('cellDelta', 'V', 1000, 'uint16'),
  k('cellAverage', 'V', 1000, 'uint16'),
  k('remainingCapacity', 'Ah', 100, 'uint32'),
  k('nominalCapacity', 'Ah', 100, 'uint32'),
  k('cycleCapacity', 'Ah', 10, 'uint32'),
  k('cycles', '', 1, 'uint16'),
  k('mosTemperature', '°C', 10, 'int16'),
  k('balanceCurrent', 'A', 1000, 'int16'),
  k('chargeEnabled', '', 1, 'bool'),
  k('dischargeEnabled', '', 1, 'bool'),
  k('balancerEnabled', '', 1, 'bool'),
  k('balancing', '', 1, 'bool'),
  k('cellCount', '', 1, 'uint16'),
  arr('cellVoltages', 'V', 1000, 'uint16', 16, 32),
  arr('cellResistances', 'mΩ', 100, 'uint16', 16, 32),
  arr('temperatures', '°C', 10, 'int16', 4, 8),
];

const BACS_KEYS: readonly KeySpec[] = [
  k('statusWord', '', 1, 'uint16'),
  k('stringCount', '', 1, 'uint16'),
  k('moduleCount', '', 1, 'uint16'),
  field('strings', 'current', 'A', 10, 'int16', 4, 16),
  field('strings', 'voltage', 'V', 10, 'uint16', 4, 16),
  field('strings', 'averageVoltage', 'V', 1000, 'uint16', 4, 16),
  field('strings', 'rippleCurrent', 'A', 10, 'int16', 4, 16),
  field('modules', 'voltage', 'V', 1000, 'uint16', 16, 512),
  field('modules', 'temperature', '°C', 10, 'int16', 16, 512),
  field('modules', 'resistance', 'mΩ', 100, 'uint16', 16, 512),
  field('modules', 'soc', '%', 1, 'uint16', 16, 512),
];

const JUPITER_KEYS: readonly KeySpec[] = [
  k('dcOutputVoltage', 'V', 10, 'uint16'),
  k('loadVoltage', 'V', 10, 'uint16'),
  k('batteryVoltage', 'V', 10, 'uint16'),
  k('batteryCurrent', 'A', 10, 'int32'),
  k('soc', '%', 1, 'uint16'),
  k('batteryTemperature', '°C', 10, 'int16'),
  k('acInputVoltage', 'V', 10, 'uint16'),
  k('acInputFrequency', 'Hz', 100, 'uint16'),
  k('outputLoad', '%', 1, 'uint16'),
  k('estimatedMinutesRemaining', 'min', 1, 'uint16'),
  k('secondsOnBattery', 's', 1, 'uint32'),
  k('acInputOk', '', 1, 'bool'),
  k('onBattery', '', 1, 'bool'),
  k('rectifierCount', '', 1, 'uint16'),
  k('cellMin', 'V', 1000, 'uint16'),
  k('cellMax', 'V', 1000, 'uint16'),
  k('cellDelta', 'V', 1000, 'uint16'),
  arr('cellVoltages', 'V', 1000, 'uint16', 20, 120),
  arr('rectifierCurrents', 'A', 10, 'int16', 4, 32),
  field('rectifiers', 'ok', '', 1, 'bool', 4, 32),
  arr('contacts', '', 1, 'bool', 8, 32, { indexBase: 1 }),
];

export const KIND_KEYS: { readonly [kind in BridgeKind]: readonly KeySpec[] } = {
  'jk-bms': JK_KEYS,
  'jk-balancer': JK_KEYS,
  bacs: BACS_KEYS,
  'jupiter-hvdc': JUPITER_KEYS,
  // any envelope: the user names the path, format and scale
  custom: [],
};

export function isBridgeKind(v: unknown): v is BridgeKind {
  return typeof v === 'string' && (BRIDGE_KINDS as readonly string[]).includes(v);
}

export function keySpec(kind: BridgeKind, key: string): KeySpec | undefined {
  return KIND_KEYS[kind].find((s) => s.key === key);
}
