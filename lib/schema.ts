/**
 * The schema of a device's reading: one table per device (`nodes/<device>/schema.ts`) that says, for every key the
 * node can put in `msg.payload`, its value type, unit, physical range, register mapping for the PLC bridge, what
 * kind of quantity it is, and its label and description in every language the package ships. The envelope's
 * `msg.units`, the plausibility check (lib/plausibility.ts), the PLC bridge's key list, the uplink's metric types and
 * the help files' output tables (checked by test/unit/schema-help.test.ts) all read it, so a key is described once.
 *
 * Pure data and lookups: no I/O, nothing from Node-RED.
 */
import type { LocalizedText } from './alarm-types';
import type { PhysicalRange, RangeTable } from './plausibility';
import type { Unit } from './wire/envelope';

export type Language = keyof LocalizedText;
export const LANGUAGES: readonly Language[] = ['en-US', 'zh-CN'];

/**
 * The value's shape in the payload. `record` is an object keyed by name or number whose values all have the type
 * in `of` (Jupiter `contacts`, `flags`, `sensors`); `object[]` an array of objects described by `fields`; `object` one
 * object with the named `fields` (a device's settings, each with its own unit and range).
 */
export type ValueType = 'number' | 'integer' | 'boolean' | 'string' | 'number[]' | 'integer[]' | 'string[]' | 'object[]' | 'object' | 'record';

/** What a number measures: the basis of a dashboard's or a home-automation system's device class. */
export type Quantity =
  | 'voltage'
  | 'current'
  | 'power'
  | 'energy'
  /** Ah */
  | 'charge'
  /** state of charge, % */
  | 'battery'
  | 'temperature'
  | 'duration'
  | 'frequency'
  | 'resistance'
  /** any other % (SOH, load, equalizing level) */
  | 'percentage'
  | 'count'
  /** a position in a list (1-based cell numbers, module ids) */
  | 'index'
  /** a yes/no state */
  | 'flag'
  /** a word of bits or a code as the device reports it */
  | 'raw'
  /** a name, an enumeration, a list of ids */
  | 'text';

/**
 * `measurement`: what the device is for (voltages, currents, temperatures, SOC); `state`: switches, flags and
 * alarm lists; `diagnostic`: counters, identifiers, raw words and the node's own bookkeeping (a dashboard's
 * secondary panel, Home Assistant's entity_category diagnostic); `config`: a device setting (JK parameters).
 */
export type Category = 'measurement' | 'state' | 'diagnostic' | 'config';

/** `total`: a counter that may also fall (a coulomb counter); `totalIncreasing`: a lifetime counter. Default: an instantaneous value. */
export type Accumulation = 'total' | 'totalIncreasing';

/** Register formats of the PLC bridge; `bool` is one register holding 0 or 1. */
export type RegisterFormat = 'int16' | 'uint16' | 'int32' | 'uint32' | 'bool';

/** How the PLC bridge serves a key: register = round(value × scale). */
export interface RegisterSpec {
  scale: number;
  format: RegisterFormat;
  /** arrays: elements served by default and at most */
  count?: number;
  maxCount?: number;
  /** arrays held as objects keyed by number (Jupiter `contacts`): the key of element 0 */
  indexBase?: number;
  /** the bridge's name for it when that is not the reading key (`rectifierCurrents` for `rectifiers[*].current`) */
  servedAs?: string;
}

/** The physical range of a number, or of every element of an array of numbers (see lib/plausibility.ts). */
export type SchemaRange = Omit<PhysicalRange, 'unit'>;

export interface KeySchema {
  type: ValueType;
  /** '' for counts, flags, texts */
  unit: Unit;
  quantity: Quantity;
  category: Category;
  accumulation?: Accumulation;
  /** decimals worth showing */
  precision?: number;
  range?: SchemaRange;
  /** short, for a dashboard tile or a column header */
  label: LocalizedText;
  description: LocalizedText;
  /** a `string` or `string[]` key: the values it takes (a help file may quote them without naming a key) */
  values?: readonly string[];
  /** `object[]`: the fields of each element; `object`: its fields */
  fields?: { readonly [field: string]: KeySchema };
  /** `record`: the type of each value */
  of?: 'number' | 'boolean' | 'string';
  /** the PLC bridge serves it */
  register?: RegisterSpec;
}

export interface DeviceSchema {
  /** the node type whose payload this describes */
  readonly node: string;
  /** in payload order; the plausibility check reports bad keys in this order */
  readonly keys: { readonly [key: string]: KeySchema };
  /**
   * the keys the PLC bridge serves, in register order (`key`, or `list.field` for a field of an object array, or a
   * `servedAs` name): this order is the published register layout, so keys are only ever appended
   */
  readonly registerOrder: readonly string[];
}

/** shorthand for the tables */
export function text(en: string, zh: string): LocalizedText {
  return { 'en-US': en, 'zh-CN': zh };
}

/** the quantity a number in each unit measures, unless its entry says otherwise (a SOC is `battery`, not `percentage`) */
const QUANTITY_OF_UNIT: { readonly [unit in Unit]: Quantity } = {
  V: 'voltage',
  A: 'current',
  mA: 'current',
  W: 'power',
  '°C': 'temperature',
  K: 'temperature',
  '%': 'percentage',
  Ah: 'charge',
  s: 'duration',
  min: 'duration',
  Hz: 'frequency',
  'mΩ': 'resistance',
  '': 'count',
};

/** what an entry adds to the defaults of its builder */
export type KeyOptions = Partial<Omit<KeySchema, 'label' | 'description'>>;

/** A measured number (`type: 'number[]'` in `more` for one per cell, probe, …); its quantity follows from its unit. */
export function numberKey(unit: Unit, precision: number, label: LocalizedText, description: LocalizedText, more: KeyOptions = {}): KeySchema {
  return { type: 'number', unit, quantity: QUANTITY_OF_UNIT[unit], category: 'measurement', precision, label, description, ...more };
}

/** A whole number without unit: a count by default (`quantity: 'index'` or `'raw'` in `more`), diagnostic. */
export function integerKey(label: LocalizedText, description: LocalizedText, more: KeyOptions = {}): KeySchema {
  return { type: 'integer', unit: '', quantity: 'count', category: 'diagnostic', label, description, ...more };
}

/** A yes/no state. */
export function flagKey(label: LocalizedText, description: LocalizedText, more: KeyOptions = {}): KeySchema {
  return { type: 'boolean', unit: '', quantity: 'flag', category: 'state', label, description, ...more };
}

/** A text: a name, an enumeration (`values`), a list of ids (`type: 'string[]'`). */
export function textKey(label: LocalizedText, description: LocalizedText, more: KeyOptions = {}): KeySchema {
  return { type: 'string', unit: '', quantity: 'text', category: 'state', label, description, ...more };
}

/** A schema path: `voltage`, `cellVoltages[*]` (each element), `modules[*].voltage` (a field of each element). */
export type SchemaPath = string;

/**
 * Every path of the schema with its entry, in schema order, each key followed by its fields. An array's or a record's
 * path has `[*]`: its entry describes each element.
 */
export function schemaPaths(schema: DeviceSchema): Array<{ path: SchemaPath; entry: KeySchema }> {
  const out: Array<{ path: SchemaPath; entry: KeySchema }> = [];
  for (const [key, entry] of Object.entries(schema.keys)) {
    out.push({ path: isArray(entry.type) || entry.type === 'record' ? `${key}[*]` : key, entry });
    const prefix = entry.type === 'object' ? key : `${key}[*]`;
    for (const [field, sub] of Object.entries(entry.fields ?? {})) out.push({ path: `${prefix}.${field}`, entry: sub });
  }
  return out;
}

function isArray(type: ValueType): boolean {
  return type.endsWith('[]');
}

/** The entry of a key (`voltage`), a field (`modules.voltage` or `modules[*].voltage`, `settings.cellOvp`), or undefined. */
export function entryOf(schema: DeviceSchema, key: string): KeySchema | undefined {
  const [top, field] = key.replace(/\[\*\]/g, '').split('.', 2);
  if (!Object.prototype.hasOwnProperty.call(schema.keys, top)) return undefined;
  const entry = schema.keys[top];
  if (field === undefined) return entry;
  return entry.fields && Object.prototype.hasOwnProperty.call(entry.fields, field) ? entry.fields[field] : undefined;
}

/**
 * The entry at a concrete place in a reading, given as its steps: `['cellVoltages', 3]`, `['strings', 0, 'current']`,
 * `['contacts', '2']`, `['settings', 'cellOvp']`. An element of an array (or a value of a record) has its array's entry.
 */
export function entryAt(schema: DeviceSchema, steps: readonly (string | number)[]): KeySchema | undefined {
  const [top, ...rest] = steps;
  if (typeof top !== 'string' || !Object.prototype.hasOwnProperty.call(schema.keys, top)) return undefined;
  const entry = schema.keys[top];
  if (rest.length === 0) return entry;
  if (entry.type === 'record' || (isArray(entry.type) && entry.type !== 'object[]')) return rest.length === 1 ? entry : undefined;
  const field = entry.type === 'object[]' && rest.length === 2 ? rest[1] : entry.type === 'object' && rest.length === 1 ? rest[0] : undefined;
  return typeof field === 'string' && entry.fields && Object.prototype.hasOwnProperty.call(entry.fields, field) ? entry.fields[field] : undefined;
}

/** The scalar type one value at an entry has: what an element of an array or a value of a record is. */
export function scalarTypeOf(entry: KeySchema): 'number' | 'boolean' | 'string' | undefined {
  switch (entry.type) {
    case 'number':
    case 'integer':
    case 'number[]':
    case 'integer[]':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
    case 'string[]':
      return 'string';
    case 'record':
      return entry.of;
    default:
      return undefined;
  }
}

/**
 * `msg.units` for a reading: the unit of each key present that has one. `under` names an object-array key whose
 * element is the reading (a BACS module on its own message): its fields' units, relative to the element.
 * Without a reading: every key and field the schema gives a unit (`strings.voltage` for a field).
 */
export function unitsOf(schema: DeviceSchema, reading?: object, under?: string): { [key: string]: Unit } {
  const out: { [key: string]: Unit } = {};
  const put = (key: string, unit: Unit): void => {
    if (unit !== '') out[key] = unit;
  };
  if (under !== undefined) {
    const fields = entryOf(schema, under)?.fields ?? {};
    for (const [field, sub] of Object.entries(fields)) if (!reading || Object.prototype.hasOwnProperty.call(reading, field)) put(field, sub.unit);
    return out;
  }
  for (const [key, entry] of Object.entries(schema.keys)) {
    if (reading && !Object.prototype.hasOwnProperty.call(reading, key)) continue;
    put(key, entry.unit);
    if (!reading) for (const [field, sub] of Object.entries(entry.fields ?? {})) put(`${key}.${field}`, sub.unit);
  }
  return out;
}

/** The physical range of a key or path, with its unit, as lib/plausibility.ts takes it. */
export function rangeOf(schema: DeviceSchema, key: string): PhysicalRange | undefined {
  const entry = entryOf(schema, key);
  return entry?.range ? { ...entry.range, unit: entry.unit } : undefined;
}

const rangeTables = new WeakMap<DeviceSchema, RangeTable>();

/** The schema's ranges as lib/plausibility.ts walks them, in schema order (which is the order of `msg.badKeys`). */
export function rangeTable(schema: DeviceSchema): RangeTable {
  let table = rangeTables.get(schema);
  if (table) return table;
  const built: { [path: string]: PhysicalRange } = {};
  for (const { path, entry } of schemaPaths(schema)) if (entry.range) built[path] = { ...entry.range, unit: entry.unit };
  table = built;
  rangeTables.set(schema, table);
  return table;
}

/** The label (`short`) or description of a key or field in a language; the key itself when the schema lacks it. */
export function describe(schema: DeviceSchema, key: string, lang: Language, what: 'label' | 'description' = 'description'): string {
  const entry = entryOf(schema, key);
  return entry ? entry[what][lang] : key;
}

/** One key the PLC bridge serves, as the schema says: where in the payload, unit and register mapping. */
export interface ServedKey {
  key: string;
  /** `voltage`, `cellVoltages[*]`, `strings[*].voltage` */
  path: SchemaPath;
  unit: Unit;
  register: RegisterSpec;
}

/** The keys the PLC bridge serves, in register order. A name in `registerOrder` the schema does not serve throws: a table error, found by the tests. */
export function servedKeys(schema: DeviceSchema): ServedKey[] {
  const byName = new Map<string, ServedKey>();
  for (const { path, entry } of schemaPaths(schema)) {
    if (!entry.register) continue;
    const name = entry.register.servedAs ?? path.replace('[*]', '');
    byName.set(name, { key: name, path, unit: entry.unit, register: entry.register });
  }
  return schema.registerOrder.map((name) => {
    const served = byName.get(name);
    if (!served) throw new Error(`${schema.node} schema: registerOrder names ${name}, which has no register mapping`);
    return served;
  });
}

/**
 * Every name a help file may quote as a value rather than a key (`modbus`, `snmp` of `moduleSource`): the schema's
 * enumerated values.
 */
export function enumeratedValues(schema: DeviceSchema): Set<string> {
  const out = new Set<string>();
  const add = (entry: KeySchema): void => {
    for (const v of entry.values ?? []) out.add(v);
    for (const sub of Object.values(entry.fields ?? {})) add(sub);
  };
  for (const entry of Object.values(schema.keys)) add(entry);
  return out;
}
