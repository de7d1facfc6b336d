/**
 * What Home Assistant needs to know about one reading key: its unit, device class, state class, display precision,
 * entity category and label. This is the one place the Home Assistant mode learns it: from the device schema
 * (`schemaKeyLookup`), and for keys no schema has, from what the envelope carries (`msg.units`, the key's name)
 * and the small tables below (`envelopeKeyLookup`).
 *
 * Allowed device class / unit / state class combinations: Home Assistant core,
 * homeassistant/components/sensor/const.py `DEVICE_CLASS_UNITS` and `DEVICE_CLASS_STATE_CLASSES`
 * (https://developers.home-assistant.io/docs/core/entity/sensor/#available-device-classes): voltage V (mV, kV),
 * current A or mA, power W (kW), battery %, temperature °C or K, duration d/h/min/s/ms, frequency Hz, all with
 * state class measurement (duration also total/total_increasing); energy Wh/kWh only with total or total_increasing.
 */

import { entryAt } from '../../lib/schema';
import { schemaOfKind } from '../device-schemas';

export type HaStateClass = 'measurement' | 'total' | 'total_increasing';

export interface HaKeyInfo {
  /** unit_of_measurement; undefined for a unitless value */
  unit?: string;
  /** sensor device_class, only one Home Assistant allows with `unit` */
  deviceClass?: string;
  /** undefined for a text value (no statistics) */
  stateClass?: HaStateClass;
  /** suggested_display_precision */
  precision?: number;
  /** `diagnostic`: identity, counts, cycles, status words; shown apart from the device's controls and sensors */
  entityCategory?: 'diagnostic';
  /** entity name under its device (en-US) */
  label: string;
}

export interface HaKeyQuery {
  /** msg.device.kind */
  kind: string;
  /**
   * the key's path in the reading: `['voltage']`, `['cellVoltages', '3']` (scalar arrays count from 1),
   * `['modules', '21', 'voltage']` (arrays of objects by their `id` or `index`)
   */
  path: readonly string[];
  /** the unit the envelope gives for it (`msg.units`), if any */
  unit?: string;
  value: number | boolean | string;
}

/** undefined: the key is not published (identity fields, raw bit lists) */
export type HaKeyLookup = (query: HaKeyQuery) => HaKeyInfo | undefined;

/** unit -> device class and display precision; a unit not listed gets no device class (any unit is allowed then) */
const UNIT_CLASSES: { [unit: string]: { deviceClass?: string; precision: number } } = {
  V: { deviceClass: 'voltage', precision: 2 },
  mV: { deviceClass: 'voltage', precision: 0 },
  A: { deviceClass: 'current', precision: 1 },
  mA: { deviceClass: 'current', precision: 0 },
  W: { deviceClass: 'power', precision: 0 },
  kW: { deviceClass: 'power', precision: 2 },
  '°C': { deviceClass: 'temperature', precision: 1 },
  K: { deviceClass: 'temperature', precision: 1 },
  s: { deviceClass: 'duration', precision: 0 },
  min: { deviceClass: 'duration', precision: 0 },
  h: { deviceClass: 'duration', precision: 1 },
  Hz: { deviceClass: 'frequency', precision: 1 },
  Wh: { deviceClass: 'energy', precision: 0 },
  kWh: { deviceClass: 'energy', precision: 3 },
  '%': { precision: 0 },
  'mΩ': { precision: 2 },
  Ah: { precision: 1 },
};

/** The device class and precision Home Assistant accepts for a unit (state of charge: see `battery` below). */
export function haClassOfUnit(unit: string | undefined): { deviceClass?: string; precision?: number } {
  return unit === undefined ? {} : (UNIT_CLASSES[unit] ?? {});
}

/** Per leaf key: what the envelope does not say (a unit it leaves out, a finer precision, a category). */
const KEY_TABLE: { [leaf: string]: Partial<HaKeyInfo> & { skip?: boolean } } = {
  soc: { deviceClass: 'battery', precision: 0 },
  // units of nested values the envelope's `units` leaves out (Jupiter rectifier currents)
  current: { unit: 'A' },
  voltage: { unit: 'V' },
  temperature: { unit: '°C' },
  estimatedMinutesRemaining: { unit: 'min' },
  cellMin: { precision: 3 },
  cellMax: { precision: 3 },
  cellDelta: { precision: 3 },
  cellAverage: { precision: 3 },
  cellVoltages: { precision: 3 },
  cycles: { entityCategory: 'diagnostic' },
  cellCount: { entityCategory: 'diagnostic' },
  cellMinIndex: { entityCategory: 'diagnostic' },
  cellMaxIndex: { entityCategory: 'diagnostic' },
  stringCount: { entityCategory: 'diagnostic' },
  moduleCount: { entityCategory: 'diagnostic' },
  alarmsPresent: { entityCategory: 'diagnostic' },
  statusWord: { entityCategory: 'diagnostic' },
  batteryStatusWord: { entityCategory: 'diagnostic' },
  alarmFlagsWord: { entityCategory: 'diagnostic' },
  stateCode: { entityCategory: 'diagnostic' },
  moduleTemplateVerified: { entityCategory: 'diagnostic' },
  moduleSource: { entityCategory: 'diagnostic' },
  nominalCapacity: { entityCategory: 'diagnostic' },
  cycleCapacity: { entityCategory: 'diagnostic' },
  // raw bit lists repeat the words and the device alarms
  statusUnknownBits: { skip: true },
  batteryStatusBits: { skip: true },
  alarmFlagBits: { skip: true },
};

/** Labels of array keys: `{n}` is the element's number or id. */
const ARRAY_LABELS: { [key: string]: string } = {
  cellVoltages: 'Cell {n} voltage',
  cellResistances: 'Cell {n} resistance',
  temperatures: 'Temperature {n}',
  modules: 'Module {n}',
  strings: 'String {n}',
  rectifiers: 'Rectifier {n}',
};

/** `mosTemperature` -> `MOS temperature`, `acInputOk` -> `AC input OK` */
function words(key: string): string {
  const spaced = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
  return spaced
    .split(/[\s_]+/)
    .filter((w) => w.length > 0)
    .map((w) => (['ac', 'dc', 'mos', 'soc', 'soh', 'ok'].includes(w) ? w.toUpperCase() : w))
    .join(' ');
}

function capitalised(text: string): string {
  return text.length > 0 ? text[0].toUpperCase() + text.slice(1) : text;
}

/** `['cellVoltages','3']` -> `Cell 3 voltage`; `['modules','21','voltage']` -> `Module 21 voltage` */
export function labelOf(path: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const next = path[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      const template = ARRAY_LABELS[key];
      parts.push(template ? template.replace('{n}', next) : `${words(key)} ${next}`);
      i++;
    } else parts.push(words(key));
  }
  return capitalised(parts.join(' ').replace(/\s+/g, ' ').trim());
}

/** The lookup of today: the envelope's unit, the tables above and the value's type. */
export const envelopeKeyLookup: HaKeyLookup = (query) => {
  const leaf = [...query.path].reverse().find((p) => !/^\d+$/.test(p)) ?? query.path[0];
  const row = KEY_TABLE[leaf] ?? {};
  if (row.skip) return undefined;
  const label = labelOf(query.path);
  if (typeof query.value !== 'number') {
    return { label, entityCategory: row.entityCategory };
  }
  const unit = query.unit ?? row.unit;
  const byUnit = haClassOfUnit(unit);
  // battery is the device class of a state of charge only; any other % (state of health, load) has none
  const deviceClass = row.deviceClass === 'battery' ? (unit === '%' ? 'battery' : undefined) : (row.deviceClass ?? byUnit.deviceClass);
  return {
    unit: unit === '' ? undefined : unit,
    deviceClass,
    // energy is a total in Home Assistant, never a measurement
    stateClass: deviceClass === 'energy' ? 'total' : 'measurement',
    precision: row.precision ?? byUnit.precision,
    entityCategory: row.entityCategory,
    label,
  };
};

/** Quantities Home Assistant has a sensor device class for (the unit then picks it, `haClassOfUnit`). */
const CLASSED_QUANTITIES = new Set(['voltage', 'current', 'power', 'energy', 'temperature', 'duration', 'frequency']);

/**
 * The lookup from the device schema (nodes/<device>/schema.ts): unit, quantity, category, accumulation, precision
 * and label of the key's entry. Keys the schema lacks (another package's envelope) fall back to the envelope.
 */
export const schemaKeyLookup: HaKeyLookup = (query) => {
  const schema = schemaOfKind(query.kind);
  const entry = schema ? entryAt(schema, query.path) : undefined;
  if (!entry) return envelopeKeyLookup(query);
  const leaf = [...query.path].reverse().find((p) => !/^\d+$/.test(p)) ?? query.path[0];
  if (KEY_TABLE[leaf]?.skip) return undefined;
  // an element of an array is named by its number ("Cell 3 voltage"); a key by the schema's label
  const label = query.path.some((p) => /^\d+$/.test(p)) ? labelOf(query.path) : entry.label['en-US'];
  // a device setting is read here, not set: Home Assistant shows it with the diagnostics, not among the sensors
  const entityCategory = entry.category === 'diagnostic' || entry.category === 'config' ? 'diagnostic' : undefined;
  if (typeof query.value !== 'number') return { label, entityCategory };
  const unit = entry.unit === '' ? undefined : entry.unit;
  const byUnit = haClassOfUnit(unit);
  const deviceClass = entry.quantity === 'battery' ? 'battery' : CLASSED_QUANTITIES.has(entry.quantity) ? byUnit.deviceClass : undefined;
  const stateClass: HaStateClass =
    entry.accumulation === 'totalIncreasing' ? 'total_increasing' : entry.accumulation === 'total' || deviceClass === 'energy' ? 'total' : 'measurement';
  return { unit, deviceClass, stateClass, precision: entry.precision ?? byUnit.precision, entityCategory, label };
};
