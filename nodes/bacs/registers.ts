/**
 * GENEREX BACS (CS141 / BACS web manager) register tables and decoders, as data (docs/design.md §1.1).
 *
 * Facts from docs/bacs.md: general registers 1000-1004 (§3.1), the general status bit
 * table (§3.2), string registers 1010 + 5 × (s − 1) for strings 1-10 (§3.4), equalizing levels and module
 * states (§5). The per-module Modbus block is NOT publicly documented (§3.5): it is a configurable template
 * here, and the default template is a project placeholder marked unverified — never a fact.
 *
 * Decoders are pure and never throw: a register that was not read gives an absent value.
 */
import type { DeviceAlarm, Severity, Unit } from '../../lib/wire/envelope';
import type { RegisterRange, RegisterSnapshot } from '../../lib/wire/modbus-planner';
import { unitsOf } from '../../lib/schema';
import { BACS_SCHEMA } from './schema';

export type RegisterType = 'U16' | 'S16';

/** The raw value of an unsigned or signed 16-bit register, scaled. */
export function scaled(raw: number, type: RegisterType, scale: number): number {
  const value = type === 'S16' && raw >= 0x8000 ? raw - 0x10000 : raw;
  // Round away binary noise (0.01 × 1365 = 13.650000000000002) to the scale's decimals.
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(Math.abs(scale) || 1)) + 1));
  return Number((value * scale).toFixed(decimals));
}

// ---------------------------------------------------------------------------------------------------------
// §3.1 General registers (unsigned)

export const GENERAL_BASE = 1000;
export const GENERAL_REGISTERS = {
  statusWord: 0, // BACS_ALARM general status flags (§3.2)
  batteryStatusWord: 1, // BACS_ALARM battery status flags: bit table not public (§3.3)
  alarmFlagsWord: 2, // BACS_ALARM alarm flags: bit table not public (§3.3)
  stringCount: 3, // BACS_NUMSTRINGS
  moduleCount: 4, // BACS_NUMMODULES
} as const;
export const GENERAL_COUNT = 5;

// ---------------------------------------------------------------------------------------------------------
// §3.2 General status flags (register 1000)

export type StatusGroup = 'state' | 'transitional' | 'alarm' | 'outOfRange';

export interface StatusFlag {
  mask: number;
  /** stable id used in payload.status and alarm ids */
  id: string;
  /** the vendor's name */
  vendorName: string;
  group: StatusGroup;
  /** severity of the alarm this flag raises in msg.alarms; undefined = informational, no alarm */
  severity?: Severity;
}

/** Source: Schneider "Alarm Flag Descriptions" DD00593983 / Gutor G.BMS. 0x4000 and 0x8000 are not public. */
export const STATUS_FLAGS: readonly StatusFlag[] = [
  { mask: 0x0001, id: 'running', vendorName: 'BACS_STATE_RUNNING', group: 'state' },
  { mask: 0x0002, id: 'connecting', vendorName: 'BACS_STATE_CONNECTED', group: 'transitional' },
  { mask: 0x0004, id: 'moduleLost', vendorName: 'BACS_STATE_MODULE_LOST', group: 'alarm', severity: 'major' },
  { mask: 0x0008, id: 'discharging', vendorName: 'BACS_STATE_DISCHARGING', group: 'state' },
  { mask: 0x0010, id: 'charging', vendorName: 'BACS_STATE_CHARGING', group: 'state' },
  { mask: 0x0020, id: 'dischargeStopped', vendorName: 'BACS_STATE_DISCHARGING_STOPPED', group: 'state' },
  { mask: 0x0040, id: 'floatCharging', vendorName: 'BACS_STATE_FLOAT_CHARGING', group: 'state' },
  { mask: 0x0080, id: 'equalizing', vendorName: 'BACS_STATE_EQUALISATION', group: 'state' },
  { mask: 0x0100, id: 'systemFailure', vendorName: 'BACS_STATE_SYSTEM_FAILURE', group: 'alarm', severity: 'major' },
  { mask: 0x0200, id: 'voltageOutOfRange', vendorName: 'BACS_STATE_VOLTAGE_OUTOFRANGE', group: 'outOfRange', severity: 'minor' },
  { mask: 0x0400, id: 'temperatureOutOfRange', vendorName: 'BACS_STATE_TEMPERATURE_OUTOFRANGE', group: 'outOfRange', severity: 'minor' },
  { mask: 0x0800, id: 'resistanceOutOfRange', vendorName: 'BACS_STATE_RESISTOR-OUTOFRANGE', group: 'outOfRange', severity: 'minor' },
  { mask: 0x1000, id: 'moduleAddressing', vendorName: 'BACS_STATE_MODULE-ADDRESSING', group: 'transitional' },
  { mask: 0x2000, id: 'moduleSearching', vendorName: 'BACS_STATE_MODULE-SEARCHING', group: 'transitional' },
];

/** The meaning of a status word of 0x0000 (BACS_STATE_NONE): not "all clear". */
export const COMMUNICATION_LOST = {
  id: 'internalCommunicationLost',
  vendorName: 'BACS_STATE_NONE',
  severity: 'major' as Severity,
};

export interface GeneralStatus {
  word: number;
  /** ids of the set flags; ['internalCommunicationLost'] for 0x0000 */
  flags: string[];
  /** bits set that no public table names (0x4000, 0x8000) */
  unknownBits: number[];
  /** true for 0x0000: the web manager lost its internal communication, the other values are not current */
  communicationLost: boolean;
}

export function decodeStatusWord(word: number): GeneralStatus {
  const w = word & 0xffff;
  if (w === 0) return { word: 0, flags: [COMMUNICATION_LOST.id], unknownBits: [], communicationLost: true };
  const flags = STATUS_FLAGS.filter((f) => (w & f.mask) !== 0).map((f) => f.id);
  const known = STATUS_FLAGS.reduce((m, f) => m | f.mask, 0);
  return { word: w, flags, unknownBits: setBits(w & ~known), communicationLost: false };
}

/** Bit numbers (0 = LSB) set in a word: how the undocumented words 1001 and 1002 are published. */
export function setBits(word: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 16; bit++) if ((word >> bit) & 1) out.push(bit);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// §3.4 String registers (signed), strings 1-10

export const STRING_BASE = 1010;
export const STRING_STRIDE = 5;
/** strings beyond 10 live in a second section whose base is not public */
export const MODBUS_MAX_STRINGS = 10;

export type StringFieldKey = 'current' | 'voltage' | 'averageVoltage' | 'rippleCurrent';

export interface StringField {
  key: StringFieldKey;
  offset: number;
  type: RegisterType;
  /** the guide states only [A]/[V]; an implied decimal factor is likely but unverified: default 1 */
  scale: number;
  unit: Unit;
}

/** the units of the string and module fields, from the schema */
const STRING_FIELD_UNITS = unitsOf(BACS_SCHEMA, undefined, 'strings');
const MODULE_FIELD_UNITS = unitsOf(BACS_SCHEMA, undefined, 'modules');
const stringUnit = (key: StringFieldKey): Unit => STRING_FIELD_UNITS[key] ?? '';
const moduleUnit = (key: ModuleFieldKey): Unit => MODULE_FIELD_UNITS[key] ?? '';

export const STRING_FIELDS: readonly StringField[] = [
  { key: 'current', offset: 0, type: 'S16', scale: 1, unit: stringUnit('current') }, // STRING_nn_CUR
  { key: 'voltage', offset: 1, type: 'S16', scale: 1, unit: stringUnit('voltage') }, // BACS_StrSumVolt
  { key: 'averageVoltage', offset: 2, type: 'S16', scale: 1, unit: stringUnit('averageVoltage') }, // BACS_StrAvgVolt
  { key: 'rippleCurrent', offset: 3, type: 'S16', scale: 1, unit: stringUnit('rippleCurrent') }, // BACS_Str_CurrAC (RMS)
];

export type StringScales = Partial<Record<StringFieldKey, number>>;

export interface StringReading {
  index: number;
  current?: number;
  voltage?: number;
  averageVoltage?: number;
  rippleCurrent?: number;
}

export function stringAddress(index: number): number {
  return STRING_BASE + STRING_STRIDE * (index - 1);
}

// ---------------------------------------------------------------------------------------------------------
// §3.5 Per-module block: configurable template (addresses not public)

export type ModuleFieldKey = 'voltage' | 'temperature' | 'resistance' | 'equalizing' | 'state' | 'soc';

export interface ModuleField {
  key: ModuleFieldKey;
  /** register offset inside one module's block; a field with offset < 0 is not read */
  offset: number;
  type: RegisterType;
  scale: number;
}

export interface ModuleTemplate {
  /** register of module 1's first field */
  base: number;
  /** registers per module */
  stride: number;
  fields: ModuleField[];
  /** raw value meaning "module data not available" (unverified) */
  missingRaw: number;
  /** module state code → state id (§5.2); codes not public, unverified */
  stateCodes: { [code: string]: ModuleStateId };
  /** set by the user after checking against the web manager (see the README) */
  verified: boolean;
  /** where and when it was checked (firmware, date) */
  verifiedNote?: string;
}

/** the template's fields with their units (schema.ts) */
export const MODULE_UNITS: Record<ModuleFieldKey, Unit> = {
  voltage: moduleUnit('voltage'),
  temperature: moduleUnit('temperature'),
  resistance: moduleUnit('resistance'),
  equalizing: moduleUnit('equalizing'),
  state: moduleUnit('state'),
  soc: moduleUnit('soc'),
};

/** §5.2 module alarm states, in the order the web manager help lists them */
export type ModuleStateId =
  | 'ok'
  | 'systemWarning'
  | 'voltageWarning'
  | 'temperatureWarning'
  | 'resistanceWarning'
  | 'systemAlarm'
  | 'voltageAlarm'
  | 'temperatureAlarm'
  | 'resistanceAlarm'
  | 'notInitialized';

export const MODULE_STATES: readonly { id: ModuleStateId; severity?: Severity }[] = [
  { id: 'ok' },
  { id: 'systemWarning', severity: 'warning' },
  { id: 'voltageWarning', severity: 'warning' },
  { id: 'temperatureWarning', severity: 'warning' },
  { id: 'resistanceWarning', severity: 'warning' },
  { id: 'systemAlarm', severity: 'major' },
  { id: 'voltageAlarm', severity: 'major' },
  { id: 'temperatureAlarm', severity: 'major' },
  { id: 'resistanceAlarm', severity: 'major' },
  { id: 'notInitialized', severity: 'minor' },
];

/**
 * The default module template: a PROJECT PLACEHOLDER, UNVERIFIED. Base 2000, five registers per module in the
 * order of the SNMP module table (§4.3) with its scales (voltage 0.01 V, temperature 0.1 °C signed, resistance
 * 0.01 mΩ), equalizing in %, state codes numbered in the order §5.2 lists the states. The built-in simulator
 * serves this layout; a real controller almost certainly does not. Check it as the README describes.
 */
export const DEFAULT_MODULE_TEMPLATE: ModuleTemplate = {
  base: 2000,
  stride: 5,
  fields: [
    { key: 'voltage', offset: 0, type: 'U16', scale: 0.01 },
    { key: 'temperature', offset: 1, type: 'S16', scale: 0.1 },
    { key: 'resistance', offset: 2, type: 'U16', scale: 0.01 },
    { key: 'equalizing', offset: 3, type: 'U16', scale: 1 },
    { key: 'state', offset: 4, type: 'U16', scale: 1 },
  ],
  missingRaw: 0xffff,
  stateCodes: Object.fromEntries(MODULE_STATES.map((s, i) => [String(i), s.id])),
  verified: false,
};

/** Validates a template from the editor or a message; returns the reason it is unusable, or undefined. */
export function templateProblem(t: unknown): string | undefined {
  if (typeof t !== 'object' || t === null) return 'module template missing';
  const o = t as { [key: string]: unknown };
  if (!Number.isInteger(o.base) || (o.base as number) < 0 || (o.base as number) > 65535) return 'module base must be 0..65535';
  if (!Number.isInteger(o.stride) || (o.stride as number) < 1 || (o.stride as number) > 125) return 'module stride must be 1..125';
  if (!Array.isArray(o.fields)) return 'module fields missing';
  const keys = new Set<string>();
  for (const f of o.fields as unknown[]) {
    if (typeof f !== 'object' || f === null) return 'module field is not an object';
    const field = f as { [key: string]: unknown };
    if (!(typeof field.key === 'string' && field.key in MODULE_UNITS)) return `unknown module field ${String(field.key)}`;
    if (keys.has(field.key)) return `module field ${field.key} twice`;
    keys.add(field.key);
    if (!Number.isInteger(field.offset) || (field.offset as number) >= (o.stride as number)) return `offset of ${field.key} must be below the stride`;
    if (field.type !== 'U16' && field.type !== 'S16') return `type of ${field.key} must be U16 or S16`;
    if (typeof field.scale !== 'number' || !Number.isFinite(field.scale) || field.scale === 0) return `scale of ${field.key} must be a non-zero number`;
  }
  return undefined;
}

/** Normalises a template (fills what is missing from the default); the caller checks templateProblem first. */
export function normalizeTemplate(t: Partial<ModuleTemplate> | undefined): ModuleTemplate {
  const d = DEFAULT_MODULE_TEMPLATE;
  return {
    base: t?.base ?? d.base,
    stride: t?.stride ?? d.stride,
    fields: (t?.fields ?? d.fields).map((f) => ({ ...f })),
    missingRaw: typeof t?.missingRaw === 'number' ? t.missingRaw : d.missingRaw,
    stateCodes: t?.stateCodes && typeof t.stateCodes === 'object' ? { ...t.stateCodes } : { ...d.stateCodes },
    verified: t?.verified === true,
    verifiedNote: typeof t?.verifiedNote === 'string' ? t.verifiedNote : undefined,
  };
}

export function moduleAddress(template: ModuleTemplate, id: number): number {
  return template.base + template.stride * (id - 1);
}

// ---------------------------------------------------------------------------------------------------------
// §5.1 Equalizing levels

export type EqualizingLevel = 'off' | 'ecoPlus' | 'eco' | 'normal' | 'power' | 'boost';

/** upper bound (inclusive, %) of each level */
export const EQUALIZING_LEVELS: readonly { level: EqualizingLevel; max: number }[] = [
  { level: 'off', max: 0 },
  { level: 'ecoPlus', max: 20 },
  { level: 'eco', max: 40 },
  { level: 'normal', max: 60 },
  { level: 'power', max: 80 },
  { level: 'boost', max: Infinity },
];

export function equalizingLevel(percent: number): EqualizingLevel {
  for (const l of EQUALIZING_LEVELS) if (percent <= l.max) return l.level;
  return 'boost';
}

// ---------------------------------------------------------------------------------------------------------
// §5.3 Numbering: global BACS id and (string, position)

/**
 * Modules per string as the web manager splits them: the same number in each string (72 in 6 = 12 each), or an
 * explicit list when the strings differ. Returns one entry per string.
 */
export function stringSizes(moduleCount: number, stringCount: number, explicit?: number[]): number[] {
  if (explicit && explicit.length > 0 && explicit.every((n) => Number.isInteger(n) && n >= 0)) return explicit.slice();
  if (stringCount < 1) return [moduleCount];
  const per = Math.ceil(moduleCount / stringCount);
  const sizes: number[] = [];
  let left = moduleCount;
  for (let s = 0; s < stringCount; s++) {
    const n = Math.max(0, Math.min(per, left));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** (string, position), both from 1, of a module id (from 1); modules past the configured strings get string 0 */
export function modulePosition(id: number, sizes: number[]): { string: number; position: number } {
  let first = 1;
  for (let s = 0; s < sizes.length; s++) {
    if (id < first + sizes[s]) return { string: s + 1, position: id - first + 1 };
    first += sizes[s];
  }
  return { string: 0, position: id };
}

// ---------------------------------------------------------------------------------------------------------
// Readings

export interface ModuleReading {
  id: number;
  string: number;
  position: number;
  voltage?: number;
  temperature?: number;
  resistance?: number;
  equalizing?: number;
  equalizingLevel?: EqualizingLevel;
  state?: string;
  stateCode?: number;
  soc?: number;
  /** false when the controller reports "module data not available" for this module */
  available: boolean;
}

export interface GeneralReading {
  status: GeneralStatus;
  batteryStatusWord?: number;
  alarmFlagsWord?: number;
  stringCount?: number;
  moduleCount?: number;
}

export function decodeGeneral(snapshot: RegisterSnapshot): GeneralReading | undefined {
  const regs = snapshot.slice(GENERAL_BASE, GENERAL_COUNT);
  if (!regs) return undefined;
  return {
    status: decodeStatusWord(regs[GENERAL_REGISTERS.statusWord]),
    batteryStatusWord: regs[GENERAL_REGISTERS.batteryStatusWord],
    alarmFlagsWord: regs[GENERAL_REGISTERS.alarmFlagsWord],
    stringCount: regs[GENERAL_REGISTERS.stringCount],
    moduleCount: regs[GENERAL_REGISTERS.moduleCount],
  };
}

export function decodeString(snapshot: RegisterSnapshot, index: number, scales: StringScales = {}): StringReading {
  const out: StringReading = { index };
  const base = stringAddress(index);
  for (const f of STRING_FIELDS) {
    const raw = snapshot.get(base + f.offset);
    if (raw !== undefined) out[f.key] = scaled(raw, f.type, scales[f.key] ?? f.scale);
  }
  return out;
}

export function decodeModule(snapshot: RegisterSnapshot, template: ModuleTemplate, id: number, sizes: number[]): ModuleReading {
  const { string, position } = modulePosition(id, sizes);
  const out: ModuleReading = { id, string, position, available: true };
  const base = moduleAddress(template, id);
  let missing = 0;
  let present = 0;
  for (const f of template.fields) {
    if (f.offset < 0) continue;
    const raw = snapshot.get(base + f.offset);
    if (raw === undefined) continue;
    if (raw === template.missingRaw) {
      missing++;
      continue;
    }
    present++;
    if (f.key === 'state') {
      out.stateCode = raw;
      out.state = template.stateCodes[String(raw)] ?? `code ${raw}`;
    } else {
      out[f.key] = scaled(raw, f.type, f.scale);
    }
  }
  if (out.equalizing !== undefined) out.equalizingLevel = equalizingLevel(out.equalizing);
  if (missing > 0 && present === 0) {
    out.available = false;
    out.state = 'dataNotAvailable';
  }
  return out;
}

/** What a poll reads: the general block, the strings (1-10) and every module of the template. */
export function pollRanges(template: ModuleTemplate | undefined, stringCount: number, moduleCount: number): RegisterRange[] {
  const ranges: RegisterRange[] = [{ address: GENERAL_BASE, count: GENERAL_COUNT }];
  const strings = Math.min(MODBUS_MAX_STRINGS, Math.max(0, stringCount));
  if (strings > 0) {
    const lastUsed = Math.max(...STRING_FIELDS.map((f) => f.offset));
    for (let s = 1; s <= strings; s++) ranges.push({ address: stringAddress(s), count: lastUsed + 1 });
  }
  if (template) {
    const offsets = template.fields.filter((f) => f.offset >= 0).map((f) => f.offset);
    if (offsets.length > 0) {
      const first = Math.min(...offsets);
      const last = Math.max(...offsets);
      for (let id = 1; id <= moduleCount; id++) ranges.push({ address: moduleAddress(template, id) + first, count: last - first + 1 });
    }
  }
  return ranges;
}

// ---------------------------------------------------------------------------------------------------------
// Device alarms (msg.alarms) from the status word and module states

export interface AlarmTexts {
  flag(id: string): string;
  module(id: number, state: string): string;
}

export function deviceAlarms(
  general: GeneralReading | undefined,
  modules: ModuleReading[],
  since: (id: string) => number,
  texts: AlarmTexts,
  /** whether the module state codes were checked on a device (the template's flag, on either route) */
  statesVerified = false,
): DeviceAlarm[] {
  const alarms: DeviceAlarm[] = [];
  if (general) {
    if (general.status.communicationLost) {
      alarms.push({ id: COMMUNICATION_LOST.id, text: texts.flag(COMMUNICATION_LOST.id), severity: COMMUNICATION_LOST.severity, since: since(COMMUNICATION_LOST.id), source: 'device' });
    }
    for (const flag of STATUS_FLAGS) {
      if (flag.severity && general.status.flags.includes(flag.id)) {
        alarms.push({ id: flag.id, text: texts.flag(flag.id), severity: flag.severity, since: since(flag.id), source: 'device' });
      }
    }
  }
  for (const m of modules) {
    const severity = m.available ? MODULE_STATES.find((s) => s.id === m.state)?.severity : 'major';
    if (!severity || !m.state) continue;
    const id = `module/${m.id}/${m.state}`;
    // a module state comes through the code map of §5.2, unverified until mapped on a device: the alarm says so
    alarms.push({ id, text: texts.module(m.id, m.state), severity, since: since(id), source: 'device', ...(statesVerified ? {} : { verified: false }) });
  }
  return alarms;
}
