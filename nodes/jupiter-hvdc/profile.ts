/**
 * The Jupiter SNMP profile in layers (docs/jupiter-hvdc.md §4), as data:
 *   layer 0  identity (sysDescr, sysObjectID, sysUpTime)
 *   layer A  RFC 1628 UPS-MIB objects and its well-known alarms (the default)
 *   layer B  a user-editable vendor mapping, pre-filled with the Jupiter quantities and alarm names but with
 *            EMPTY OIDs: no public MIB of the ERC card exists and we do not guess (docs/jupiter-hvdc.md §3)
 *   layer C  ENTITY-SENSOR-MIB (RFC 3433) as a self-describing fallback
 * Where several layers give the same key, the vendor mapping wins, then UPS-MIB, then ENTITY-SENSOR.
 * Decoding is pure: varbinds in, reading out; nothing from the wire can throw.
 */
import type { SnmpValue, SnmpVarbind } from '../../lib/snmp/types';
import { JUPITER_ALARMS, jupiterAlarm } from './alarms';

// ---------------------------------------------------------------------------------------------------------
// Row format (docs/jupiter-hvdc.md §4.3)

export type RowType = 'gauge' | 'enum' | 'bitmask' | 'string' | 'flag';

export interface EnumEntry {
  text: string;
  /** false marks a fault state (a rectifier enum, an OperStatus column) */
  ok: boolean;
}

export interface ProfileRow {
  /** a reading key (`dcOutputVoltage`) or a catalogue alarm id (`rectifier_fault`) */
  key: string;
  /** numeric OID; scalars end in `.0`; empty = not mapped */
  oid: string;
  /** `walk` for table columns (one value per row index) */
  op: 'get' | 'walk';
  type: RowType;
  /** engineering value = raw × scale + offset */
  scale: number;
  offset: number;
  /** optional OID holding a decimal-places setting d: the scale is multiplied by 10^-d */
  scaleFromOid?: string;
  /** reinterpret an unsigned raw value as 32-bit two's complement */
  signed: boolean;
  unit: string;
  enumMap?: { [raw: string]: EnumEntry };
  /** raw values that mean "invalid / not configured": the value is absent, not an alarm */
  sentinel: number[];
  /** flag / bitmask rows: the raw value meaning "alarm" and "clear" (bitmask: the bit's value) */
  alarmValue?: number;
  clearValue?: number;
  /** bitmask rows: which bit carries the flag */
  bit?: number;
  /** set once checked on a device */
  verified: boolean;
  note?: string;
}

export interface EntitySensorMapping {
  key: string;
  /** entPhysicalName, or the entPhysicalIndex as a decimal string */
  sensor: string;
}

export interface TrapMapping {
  trapOid: string;
  alarm: string;
  action: 'raise' | 'clear';
}

export const PROFILE_FORMAT = 'dcpower-jupiter-profile';

export interface JupiterProfile {
  format: typeof PROFILE_FORMAT;
  version: 1;
  name: string;
  /** layer A on/off */
  upsMib: boolean;
  /** layer C: `auto` walks the sensor table once and keeps walking only if the agent has sensors */
  entitySensor: 'off' | 'auto';
  vendor: ProfileRow[];
  entityMap: EntitySensorMapping[];
  traps: TrapMapping[];
}

// ---------------------------------------------------------------------------------------------------------
// Layer 0 and layer A: standard objects with complete OIDs

export const OID = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  upsIdentManufacturer: '1.3.6.1.2.1.33.1.1.1.0',
  upsIdentModel: '1.3.6.1.2.1.33.1.1.2.0',
  upsIdentUPSSoftwareVersion: '1.3.6.1.2.1.33.1.1.3.0',
  upsIdentName: '1.3.6.1.2.1.33.1.1.5.0',
  upsBatteryStatus: '1.3.6.1.2.1.33.1.2.1.0',
  upsSecondsOnBattery: '1.3.6.1.2.1.33.1.2.2.0',
  upsEstimatedMinutesRemaining: '1.3.6.1.2.1.33.1.2.3.0',
  upsEstimatedChargeRemaining: '1.3.6.1.2.1.33.1.2.4.0',
  upsBatteryVoltage: '1.3.6.1.2.1.33.1.2.5.0',
  upsBatteryCurrent: '1.3.6.1.2.1.33.1.2.6.0',
  upsBatteryTemperature: '1.3.6.1.2.1.33.1.2.7.0',
  upsInputFrequency1: '1.3.6.1.2.1.33.1.3.3.1.2.1',
  upsInputVoltage1: '1.3.6.1.2.1.33.1.3.3.1.3.1',
  upsOutputSource: '1.3.6.1.2.1.33.1.4.1.0',
  upsOutputVoltage1: '1.3.6.1.2.1.33.1.4.4.1.2.1',
  upsOutputCurrent1: '1.3.6.1.2.1.33.1.4.4.1.3.1',
  upsOutputPercentLoad1: '1.3.6.1.2.1.33.1.4.4.1.5.1',
  upsAlarmsPresent: '1.3.6.1.2.1.33.1.6.1.0',
  /** upsAlarmDescr column: one row per active alarm, value = a well-known alarm OID */
  upsAlarmDescr: '1.3.6.1.2.1.33.1.6.2.1.2',
  upsWellKnownAlarms: '1.3.6.1.2.1.33.1.6.3',
  upsTrapOnBattery: '1.3.6.1.2.1.33.2.1',
  upsTrapAlarmEntryAdded: '1.3.6.1.2.1.33.2.3',
  upsTrapAlarmEntryRemoved: '1.3.6.1.2.1.33.2.4',
  entPhySensorEntry: '1.3.6.1.2.1.99.1.1.1',
  entPhysicalName: '1.3.6.1.2.1.47.1.1.1.1.7',
} as const;

const row = (key: string, oid: string, type: RowType, scale: number, unit: string, extra: Partial<ProfileRow> = {}): ProfileRow => ({
  key, oid, op: 'get', type, scale, offset: 0, signed: false, unit, sentinel: [], verified: false, ...extra,
});

/** Layer A, fixed: the RFC 1628 objects that feed the Jupiter reading */
export const UPS_MIB_ROWS: readonly ProfileRow[] = [
  row('batteryVoltage', OID.upsBatteryVoltage, 'gauge', 0.1, 'V'),
  row('batteryCurrent', OID.upsBatteryCurrent, 'gauge', 0.1, 'A', { signed: true }),
  row('batteryTemperature', OID.upsBatteryTemperature, 'gauge', 1, '°C', { signed: true }),
  row('soc', OID.upsEstimatedChargeRemaining, 'gauge', 1, '%'),
  row('estimatedMinutesRemaining', OID.upsEstimatedMinutesRemaining, 'gauge', 1, 'min'),
  row('secondsOnBattery', OID.upsSecondsOnBattery, 'gauge', 1, 's'),
  row('acInputVoltage', OID.upsInputVoltage1, 'gauge', 1, 'V'),
  row('acInputFrequency', OID.upsInputFrequency1, 'gauge', 0.1, 'Hz'),
  // the agent may map the DC bus onto output line 1 (docs/jupiter-hvdc.md §4.2: upsOutputTable is the DC output
  // only where the agent maps it there)
  row('dcOutputVoltage', OID.upsOutputVoltage1, 'gauge', 1, 'V'),
  row('outputLoad', OID.upsOutputPercentLoad1, 'gauge', 1, '%'),
  row('batteryStatus', OID.upsBatteryStatus, 'enum', 1, '', {
    enumMap: {
      '1': { text: 'unknown', ok: true },
      '2': { text: 'normal', ok: true },
      '3': { text: 'low', ok: false },
      '4': { text: 'depleted', ok: false },
    },
  }),
  row('outputSource', OID.upsOutputSource, 'enum', 1, '', {
    enumMap: {
      '1': { text: 'other', ok: true },
      '2': { text: 'none', ok: false },
      '3': { text: 'normal', ok: true },
      '4': { text: 'bypass', ok: true },
      '5': { text: 'battery', ok: false },
      '6': { text: 'booster', ok: true },
      '7': { text: 'reducer', ok: true },
    },
  }),
  row('alarmsPresent', OID.upsAlarmsPresent, 'gauge', 1, ''),
];

const KNOWN_SOURCES = new Set(
  Object.values(UPS_MIB_ROWS.find((r) => r.key === 'outputSource')?.enumMap ?? {}).map((e) => e.text).filter((t) => t !== 'other'),
);

export const IDENTITY_OIDS: readonly string[] = [
  OID.sysDescr, OID.sysObjectID, OID.sysUpTime, OID.upsIdentManufacturer, OID.upsIdentModel, OID.upsIdentUPSSoftwareVersion,
];

export interface WellKnownAlarm {
  n: number;
  name: string;
  /** the catalogue alarm it stands for on a Jupiter (docs/jupiter-hvdc.md §4.2, a proposal, unverified) */
  jupiter?: string;
  text: { 'en-US': string; 'zh-CN': string };
}

/** upsWellKnownAlarms (1.3.6.1.2.1.33.1.6.3.N) with the Jupiter meaning proposed in docs/jupiter-hvdc.md §4.2 */
export const UPS_WELL_KNOWN_ALARMS: readonly WellKnownAlarm[] = [
  { n: 1, name: 'BatteryBad', jupiter: 'battery_bms_fault', text: { 'en-US': 'Battery bad', 'zh-CN': '电池故障' } },
  { n: 2, name: 'OnBattery', jupiter: 'ac_interruption', text: { 'en-US': 'On battery', 'zh-CN': '电池供电' } },
  { n: 3, name: 'LowBattery', jupiter: 'battery_undervoltage', text: { 'en-US': 'Low battery', 'zh-CN': '电池电量低' } },
  { n: 4, name: 'DepletedBattery', jupiter: 'battery_undervoltage', text: { 'en-US': 'Depleted battery', 'zh-CN': '电池耗尽' } },
  { n: 5, name: 'TempBad', text: { 'en-US': 'Temperature out of tolerance', 'zh-CN': '温度异常' } },
  { n: 6, name: 'InputBad', jupiter: 'ac_interruption', text: { 'en-US': 'Input out of tolerance', 'zh-CN': '输入异常' } },
  { n: 7, name: 'OutputBad', jupiter: 'dc_output_undervoltage', text: { 'en-US': 'Output out of tolerance', 'zh-CN': '输出异常' } },
  { n: 8, name: 'OutputOverload', text: { 'en-US': 'Output overload', 'zh-CN': '输出过载' } },
  { n: 9, name: 'OnBypass', text: { 'en-US': 'On bypass', 'zh-CN': '旁路供电' } },
  { n: 10, name: 'BypassBad', text: { 'en-US': 'Bypass out of tolerance', 'zh-CN': '旁路异常' } },
  { n: 11, name: 'OutputOffAsRequested', text: { 'en-US': 'Output off as requested', 'zh-CN': '按要求关闭输出' } },
  { n: 12, name: 'UpsOffAsRequested', text: { 'en-US': 'Unit off as requested', 'zh-CN': '按要求关机' } },
  { n: 13, name: 'ChargerFailed', jupiter: 'rectifier_fault', text: { 'en-US': 'Charger failed', 'zh-CN': '充电器故障' } },
  { n: 14, name: 'UpsOutputOff', jupiter: 'load_breaker_open', text: { 'en-US': 'Output off', 'zh-CN': '输出关闭' } },
  { n: 15, name: 'UpsSystemOff', text: { 'en-US': 'System off', 'zh-CN': '系统关闭' } },
  { n: 16, name: 'FanFailure', text: { 'en-US': 'Fan failure', 'zh-CN': '风扇故障' } },
  { n: 17, name: 'FuseFailure', text: { 'en-US': 'Fuse failure', 'zh-CN': '熔丝故障' } },
  { n: 18, name: 'GeneralFault', text: { 'en-US': 'General fault', 'zh-CN': '一般故障' } },
  { n: 19, name: 'DiagnosticTestFailed', text: { 'en-US': 'Battery self-test failed', 'zh-CN': '电池自检失败' } },
  { n: 20, name: 'CommunicationsLost', jupiter: 'rectifier_comm_fault', text: { 'en-US': 'Communications lost', 'zh-CN': '通信中断' } },
  { n: 21, name: 'AwaitingPower', text: { 'en-US': 'Awaiting power', 'zh-CN': '等待供电' } },
  { n: 22, name: 'ShutdownPending', text: { 'en-US': 'Shutdown pending', 'zh-CN': '即将关机' } },
  { n: 23, name: 'ShutdownImminent', text: { 'en-US': 'Shutdown imminent', 'zh-CN': '立即关机' } },
  { n: 24, name: 'TestInProgress', text: { 'en-US': 'Battery self-test in progress', 'zh-CN': '电池自检中' } },
];

/** id of a well-known UPS alarm that has no Jupiter meaning: `ups_<name in snake case>` */
export function upsAlarmId(alarm: WellKnownAlarm): string {
  return alarm.jupiter ?? 'ups_' + alarm.name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

const WELL_KNOWN_BY_N = new Map(UPS_WELL_KNOWN_ALARMS.map((a) => [a.n, a]));

export function wellKnownAlarmOf(oid: string): WellKnownAlarm | undefined {
  const prefix = OID.upsWellKnownAlarms + '.';
  const bare = normaliseOid(oid);
  if (!bare.startsWith(prefix)) return undefined;
  return WELL_KNOWN_BY_N.get(Number(bare.slice(prefix.length)));
}

// ---------------------------------------------------------------------------------------------------------
// Layer B: the vendor mapping, shipped without OIDs

const vendorValue = (key: string, unit: string, extra: Partial<ProfileRow> = {}): ProfileRow =>
  row(key, '', 'gauge', 1, unit, extra);

/** Measured values the Jupiter has (docs/jupiter-hvdc.md §4.3), OIDs for the user to fill in */
export const VENDOR_VALUE_ROWS: readonly ProfileRow[] = [
  vendorValue('dcOutputVoltage', 'V'),
  vendorValue('loadVoltage', 'V'),
  vendorValue('batteryVoltage', 'V'),
  vendorValue('batteryCurrent', 'A', { signed: true, note: 'positive = charging' }),
  vendorValue('soc', '%'),
  vendorValue('batteryTemperature', '°C', { signed: true }),
  vendorValue('acInputVoltage', 'V'),
  vendorValue('cellVoltages', 'V', { op: 'walk', note: 'cell voltage column; scale to V (0.001 for mV)' }),
  vendorValue('cellMin', 'V'),
  vendorValue('cellMax', 'V'),
  vendorValue('cellDelta', 'V'),
  vendorValue('rectifierCount', ''),
  vendorValue('rectifierStates', '', {
    op: 'walk',
    type: 'enum',
    enumMap: {},
    note: 'rectifier status column; fill the enumeration from the MIB (raw value → text, ok)',
  }),
  vendorValue('rectifierCurrents', 'A', { op: 'walk' }),
  row('onBattery', '', 'flag', 1, '', { alarmValue: 1, clearValue: 0 }),
];

/** One flag row per catalogue alarm, polarity from the manual; the node's own link alarm has no OID */
export const VENDOR_ALARM_ROWS: readonly ProfileRow[] = JUPITER_ALARMS.filter((a) => a.signal.kind !== 'link').map((a) =>
  row(a.id, '', 'flag', 1, '', {
    alarmValue: a.signal.kind === 'flag' ? a.signal.alarmFlag : 1,
    clearValue: a.signal.kind === 'flag' ? a.signal.clearFlag : 0,
  }),
);

export function defaultProfile(): JupiterProfile {
  return {
    format: PROFILE_FORMAT,
    version: 1,
    name: 'Jupiter ERC',
    upsMib: true,
    entitySensor: 'auto',
    vendor: [...VENDOR_VALUE_ROWS, ...VENDOR_ALARM_ROWS].map((r) => JSON.parse(JSON.stringify(r)) as ProfileRow),
    entityMap: [],
    traps: [],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Validation (import from JSON, the dialog, msg overrides)

const OID_RE = /^\.?\d+(\.\d+)+$/;
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function normaliseOid(oid: string): string {
  // hot path (every varbind of every poll): no regex unless the OID needs trimming
  if (oid.length > 0 && oid.charCodeAt(0) !== 46 && oid.charCodeAt(0) > 32 && oid.charCodeAt(oid.length - 1) > 32) return oid;
  const t = oid.trim();
  return t.charCodeAt(0) === 46 ? t.slice(1) : t;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function validateRow(raw: unknown, where: string, errors: string[]): ProfileRow | undefined {
  if (!isRecord(raw)) {
    errors.push(`${where}: not an object`);
    return undefined;
  }
  const key = raw.key;
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    errors.push(`${where}: key must be an identifier`);
    return undefined;
  }
  const oid = typeof raw.oid === 'string' ? normaliseOid(raw.oid) : '';
  if (oid !== '' && !OID_RE.test(oid)) errors.push(`${where} (${key}): oid "${String(raw.oid)}" is not a numeric OID`);
  const type = raw.type;
  if (type !== 'gauge' && type !== 'enum' && type !== 'bitmask' && type !== 'string' && type !== 'flag') {
    errors.push(`${where} (${key}): type must be gauge, enum, bitmask, string or flag`);
    return undefined;
  }
  const op = raw.op === 'walk' ? 'walk' : 'get';
  if (raw.op !== undefined && raw.op !== 'get' && raw.op !== 'walk') errors.push(`${where} (${key}): op must be get or walk`);
  const scale = num(raw.scale, 1);
  if (scale === 0) errors.push(`${where} (${key}): scale must not be 0`);
  const sentinel: number[] = [];
  if (raw.sentinel !== undefined) {
    if (!Array.isArray(raw.sentinel) || raw.sentinel.some((s) => typeof s !== 'number' || !Number.isFinite(s))) {
      errors.push(`${where} (${key}): sentinel must be a list of numbers`);
    } else sentinel.push(...(raw.sentinel as number[]));
  }
  let enumMap: { [raw: string]: EnumEntry } | undefined;
  if (raw.enumMap !== undefined) {
    if (!isRecord(raw.enumMap)) errors.push(`${where} (${key}): enumMap must be an object`);
    else {
      enumMap = {};
      for (const [k, v] of Object.entries(raw.enumMap)) {
        if (!/^-?\d+$/.test(k)) errors.push(`${where} (${key}): enumMap key "${k}" is not an integer`);
        else if (isRecord(v) && typeof v.text === 'string') enumMap[k] = { text: v.text, ok: v.ok !== false };
        else if (typeof v === 'string') enumMap[k] = { text: v, ok: true };
        else errors.push(`${where} (${key}): enumMap["${k}"] needs a text`);
      }
    }
  }
  let scaleFromOid: string | undefined;
  if (typeof raw.scaleFromOid === 'string' && raw.scaleFromOid.trim() !== '') {
    scaleFromOid = normaliseOid(raw.scaleFromOid);
    if (!OID_RE.test(scaleFromOid)) errors.push(`${where} (${key}): scaleFromOid is not a numeric OID`);
  }
  const bit = raw.bit === undefined ? undefined : num(raw.bit, -1);
  if (bit !== undefined && (!Number.isInteger(bit) || bit < 0 || bit > 31)) errors.push(`${where} (${key}): bit must be 0–31`);
  if (type === 'bitmask' && bit === undefined) errors.push(`${where} (${key}): a bitmask row needs a bit`);
  const out: ProfileRow = {
    key,
    oid,
    op,
    type,
    scale,
    offset: num(raw.offset, 0),
    signed: raw.signed === true,
    unit: typeof raw.unit === 'string' ? raw.unit : '',
    sentinel,
    verified: raw.verified === true,
  };
  if (enumMap) out.enumMap = enumMap;
  if (scaleFromOid) out.scaleFromOid = scaleFromOid;
  if (bit !== undefined) out.bit = bit;
  if (type === 'flag' || type === 'bitmask') {
    out.alarmValue = num(raw.alarmValue, 1);
    out.clearValue = num(raw.clearValue, out.alarmValue === 1 ? 0 : 1);
    if (out.alarmValue === out.clearValue) errors.push(`${where} (${key}): alarmValue and clearValue must differ`);
  }
  if (typeof raw.note === 'string') out.note = raw.note;
  return out;
}

/** Validates a profile from JSON (an import, the dialog, a message). Unknown fields are dropped. */
export function validateProfile(input: unknown): { ok: true; profile: JupiterProfile } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (!isRecord(input)) return { ok: false, errors: ['a profile must be a JSON object'] };
  if (input.format !== PROFILE_FORMAT) errors.push(`format must be "${PROFILE_FORMAT}"`);
  if (input.version !== 1) errors.push('version must be 1');
  if (!Array.isArray(input.vendor)) errors.push('vendor must be a list of rows');
  const vendor: ProfileRow[] = [];
  const seen = new Set<string>();
  if (Array.isArray(input.vendor)) {
    input.vendor.forEach((r, i) => {
      const v = validateRow(r, `vendor[${i}]`, errors);
      if (!v) return;
      if (seen.has(v.key)) errors.push(`vendor[${i}]: duplicate key ${v.key}`);
      seen.add(v.key);
      vendor.push(v);
    });
  }
  const entityMap: EntitySensorMapping[] = [];
  if (input.entityMap !== undefined) {
    if (!Array.isArray(input.entityMap)) errors.push('entityMap must be a list');
    else
      input.entityMap.forEach((m, i) => {
        if (isRecord(m) && typeof m.key === 'string' && KEY_RE.test(m.key) && typeof m.sensor === 'string' && m.sensor !== '') {
          entityMap.push({ key: m.key, sensor: m.sensor });
        } else errors.push(`entityMap[${i}]: needs key and sensor`);
      });
  }
  const traps: TrapMapping[] = [];
  if (input.traps !== undefined) {
    if (!Array.isArray(input.traps)) errors.push('traps must be a list');
    else
      input.traps.forEach((t, i) => {
        if (
          isRecord(t) && typeof t.trapOid === 'string' && OID_RE.test(normaliseOid(t.trapOid)) &&
          typeof t.alarm === 'string' && KEY_RE.test(t.alarm) && (t.action === 'raise' || t.action === 'clear')
        ) {
          traps.push({ trapOid: normaliseOid(t.trapOid), alarm: t.alarm, action: t.action });
        } else errors.push(`traps[${i}]: needs trapOid, alarm and action raise|clear`);
      });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    profile: {
      format: PROFILE_FORMAT,
      version: 1,
      name: typeof input.name === 'string' && input.name.trim() !== '' ? input.name.trim() : 'Jupiter ERC',
      upsMib: input.upsMib !== false,
      entitySensor: input.entitySensor === 'off' ? 'off' : 'auto',
      vendor,
      entityMap,
      traps,
    },
  };
}

export function exportProfile(profile: JupiterProfile): string {
  return JSON.stringify(profile, null, 2);
}

export function importProfile(text: string): { ok: true; profile: JupiterProfile } | { ok: false; errors: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${err instanceof Error ? err.message : String(err)}`] };
  }
  return validateProfile(parsed);
}

// ---------------------------------------------------------------------------------------------------------
// What to ask the agent

export interface PollPlan {
  gets: string[];
  walks: string[];
}

export function pollPlan(profile: JupiterProfile, options: { entitySensor: boolean }): PollPlan {
  const gets = new Set<string>(IDENTITY_OIDS);
  const walks = new Set<string>();
  if (profile.upsMib) {
    for (const r of UPS_MIB_ROWS) gets.add(r.oid);
    walks.add(OID.upsAlarmDescr);
  }
  for (const r of profile.vendor) {
    if (r.oid === '') continue;
    if (r.op === 'walk') walks.add(r.oid);
    else gets.add(r.oid);
    if (r.scaleFromOid) gets.add(r.scaleFromOid);
  }
  if (options.entitySensor && profile.entitySensor !== 'off') {
    walks.add(OID.entPhySensorEntry);
    walks.add(OID.entPhysicalName);
  }
  return { gets: [...gets], walks: [...walks] };
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

export interface RectifierState {
  index: number;
  ok: boolean;
  state?: string;
  current?: number;
}

export interface UnitIdentity {
  sysDescr?: string;
  sysObjectID?: string;
  upTimeSeconds?: number;
  manufacturer?: string;
  model?: string;
  firmware?: string;
}

export interface DecodedUnit {
  /** numeric, text and boolean values by reading key */
  values: { [key: string]: number | string | boolean | number[] };
  rectifiers?: RectifierState[];
  /** vendor flags by catalogue alarm id, in the manual's polarity (1.00 / 0.00 as the EM software logs) */
  flags: { [alarmId: string]: 0 | 1 };
  /** alarm ids whose flag row is mapped, active now */
  flagAlarms: { [alarmId: string]: boolean };
  /** well-known UPS-MIB alarms present in upsAlarmTable */
  upsAlarms: WellKnownAlarm[];
  /** ENTITY-SENSOR values by sensor name (layer C), whether mapped or not */
  sensors: { [name: string]: number };
  identity: UnitIdentity;
  /** keys whose OIDs the agent does not implement (noSuchObject / noSuchInstance) */
  unsupported: string[];
  /** keys whose raw value was a sentinel or could not be read as its type */
  invalid: string[];
  /** whether the agent answered with any ENTITY-SENSOR rows (the node stops walking if not) */
  entitySensorSeen: boolean;
  /** paths of values dropped as physically implausible (screen.ts screenUnit); absent when none were */
  badKeys?: string[];
  /** the answer was mostly nonsense: none of its values is used, only its flags and alarm table */
  rejected?: boolean;
}

/** raw integer of a varbind value, or undefined */
export function rawNumber(value: SnmpValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  if (Buffer.isBuffer(value) && value.length > 0 && value.length <= 6) {
    // some agents return small integers as octet strings; read big-endian
    return value.readUIntBE(0, value.length);
  }
  return undefined;
}

/** text of an OctetString: UTF-8 when printable, else hex */
export function rawText(value: SnmpValue): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) {
    const text = value.toString('utf8');
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return text.replace(/\0+$/, '');
    return value.toString('hex');
  }
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** tidies binary float noise from scaling (0.1 × 2345 = 234.50000000000003) without a string round trip */
function tidy(v: number): number {
  return Math.abs(v) < 1e6 ? Math.round(v * 1e9) / 1e9 : v;
}

function toSigned32(n: number): number {
  return n > 0x7fffffff && n <= 0xffffffff ? n - 0x100000000 : n;
}

export type RowValue = { kind: 'value'; value: number | string } | { kind: 'unsupported' } | { kind: 'invalid' };

/** Decodes one varbind by its row (pure; the scale from scaleFromOid already applied by the caller). */
export function decodeRow(r: ProfileRow, vb: SnmpVarbind | undefined, decimals?: number): RowValue {
  if (!vb) return { kind: 'unsupported' };
  if (vb.error) return { kind: 'unsupported' };
  if (vb.value === null) return { kind: 'unsupported' };
  if (r.type === 'string') {
    const t = rawText(vb.value);
    return t === undefined ? { kind: 'invalid' } : { kind: 'value', value: t };
  }
  let raw = rawNumber(vb.value);
  if (raw === undefined) return { kind: 'invalid' };
  if (r.signed) raw = toSigned32(raw);
  if (r.sentinel.includes(raw)) return { kind: 'invalid' };
  if (r.type === 'enum') {
    const entry = r.enumMap?.[String(raw)];
    return { kind: 'value', value: entry ? entry.text : String(raw) };
  }
  if (r.type === 'flag') {
    if (raw === r.alarmValue) return { kind: 'value', value: 1 };
    if (raw === r.clearValue) return { kind: 'value', value: 0 };
    return { kind: 'invalid' };
  }
  if (r.type === 'bitmask') {
    const set = ((raw >>> (r.bit ?? 0)) & 1) === 1 ? 1 : 0;
    return { kind: 'value', value: set === (r.alarmValue ?? 1) ? 1 : 0 };
  }
  const scale = decimals !== undefined && Number.isInteger(decimals) && decimals >= -9 && decimals <= 9 ? r.scale * Math.pow(10, -decimals) : r.scale;
  const value = raw * scale + r.offset;
  if (!Number.isFinite(value)) return { kind: 'invalid' };
  return { kind: 'value', value: tidy(value) };
}

/** index of a walked row: the OID suffix after the column (a single number for the tables we read) */
function rowIndex(base: string, oid: string): string | undefined {
  const o = normaliseOid(oid);
  return o.length > base.length && o.charCodeAt(base.length) === 46 && o.startsWith(base) ? o.slice(base.length + 1) : undefined;
}

export interface AgentAnswer {
  /** GET results by normalised OID */
  gets: Map<string, SnmpVarbind>;
  /** WALK results by normalised base OID */
  walks: Map<string, SnmpVarbind[]>;
}

export function answerFrom(getVarbinds: readonly SnmpVarbind[], walks: Iterable<[string, readonly SnmpVarbind[]]>): AgentAnswer {
  const gets = new Map<string, SnmpVarbind>();
  for (const vb of getVarbinds) if (vb && typeof vb.oid === 'string') gets.set(normaliseOid(vb.oid), vb);
  const w = new Map<string, SnmpVarbind[]>();
  for (const [base, list] of walks) w.set(normaliseOid(base), list.filter((vb) => vb && typeof vb.oid === 'string'));
  return { gets, walks: w };
}

function entitySensorValue(type: number | undefined, scale: number | undefined, precision: number | undefined, value: number): number | undefined {
  if (value >= 1e9 || value <= -1e9) return undefined; // under/overflow markers
  const s = scale ?? 9;
  const p = precision ?? 0;
  const v = value * Math.pow(10, 3 * (s - 9)) / Math.pow(10, p);
  void type;
  return Number.isFinite(v) ? tidy(v) : undefined;
}

/**
 * Turns the agent's answer into the unit's values by the layered profile. Never throws: a value that cannot
 * be read is listed under `invalid`, one the agent does not have under `unsupported`.
 */
export function decodeUnit(profile: JupiterProfile, answer: AgentAnswer): DecodedUnit {
  const out: DecodedUnit = {
    values: {},
    flags: {},
    flagAlarms: {},
    upsAlarms: [],
    sensors: {},
    identity: {},
    unsupported: [],
    invalid: [],
    entitySensorSeen: false,
  };
  const get = (oid: string): SnmpVarbind | undefined => answer.gets.get(normaliseOid(oid));
  const text = (oid: string): string | undefined => {
    const vb = get(oid);
    return vb && !vb.error && vb.value !== null ? rawText(vb.value) : undefined;
  };

  // layer 0 (only the fields the agent gave: a value not reported is absent)
  const identity: UnitIdentity = {};
  const sysDescr = text(OID.sysDescr);
  if (sysDescr !== undefined) identity.sysDescr = sysDescr;
  const sysObjectID = text(OID.sysObjectID);
  if (sysObjectID !== undefined) identity.sysObjectID = sysObjectID;
  const manufacturer = text(OID.upsIdentManufacturer);
  if (manufacturer !== undefined) identity.manufacturer = manufacturer;
  const model = text(OID.upsIdentModel);
  if (model !== undefined) identity.model = model;
  const firmware = text(OID.upsIdentUPSSoftwareVersion);
  if (firmware !== undefined) identity.firmware = firmware;
  const up = get(OID.sysUpTime);
  const upRaw = up && !up.error ? rawNumber(up.value) : undefined;
  if (upRaw !== undefined) identity.upTimeSeconds = upRaw / 100;
  out.identity = identity;

  const layerValues = new Map<string, number | string>();
  const note = (key: string, list: 'unsupported' | 'invalid'): void => {
    if (!out[list].includes(key)) out[list].push(key);
  };

  // layer C first, so that A and B overwrite it
  const sensorWalk = answer.walks.get(OID.entPhySensorEntry);
  if (sensorWalk && sensorWalk.length > 0) {
    const cols = new Map<string, Map<number, number>>();
    for (const vb of sensorWalk) {
      const idx = rowIndex(OID.entPhySensorEntry, vb.oid);
      if (!idx) continue;
      const dot = idx.indexOf('.');
      const n = rawNumber(vb.value);
      if (n === undefined || dot <= 0) continue;
      const index = idx.slice(dot + 1);
      let c = cols.get(index);
      if (!c) {
        c = new Map<number, number>();
        cols.set(index, c);
      }
      c.set(Number(idx.slice(0, dot)), n);
    }
    const names = new Map<string, string>();
    for (const vb of answer.walks.get(OID.entPhysicalName) ?? []) {
      const idx = rowIndex(OID.entPhysicalName, vb.oid);
      const t = rawText(vb.value);
      if (idx && t) names.set(idx, t);
    }
    for (const [index, c] of cols) {
      const raw = c.get(4);
      const status = c.get(5);
      if (raw === undefined || (status !== undefined && status !== 1)) continue;
      const v = entitySensorValue(c.get(1), c.get(2), c.get(3), raw);
      if (v === undefined) continue;
      out.entitySensorSeen = true;
      const name = names.get(index) ?? `sensor${index}`;
      out.sensors[name] = v;
      for (const m of profile.entityMap) if (m.sensor === name || m.sensor === index) layerValues.set(m.key, v);
    }
  }

  // layer A
  if (profile.upsMib) {
    for (const r of UPS_MIB_ROWS) {
      const d = decodeRow(r, get(r.oid));
      if (d.kind === 'value') layerValues.set(r.key, d.value);
      else if (d.kind === 'invalid') note(r.key, 'invalid');
      else note(r.key, 'unsupported');
    }
    for (const vb of answer.walks.get(OID.upsAlarmDescr) ?? []) {
      const t = typeof vb.value === 'string' ? vb.value : rawText(vb.value);
      const w = t ? wellKnownAlarmOf(t) : undefined;
      if (w && !out.upsAlarms.includes(w)) out.upsAlarms.push(w);
    }
  }

  // layer B
  for (const r of profile.vendor) {
    if (r.oid === '') continue;
    let decimals: number | undefined;
    if (r.scaleFromOid) {
      const s = get(r.scaleFromOid);
      decimals = s && !s.error ? rawNumber(s.value) : undefined;
    }
    if (r.op === 'walk') {
      const list = answer.walks.get(r.oid) ?? [];
      if (list.length === 0) {
        note(r.key, 'unsupported');
        continue;
      }
      const decoded: { index: number; value: number | string }[] = [];
      for (const vb of list) {
        const idx = rowIndex(r.oid, vb.oid);
        const d = decodeRow(r, vb, decimals);
        if (idx === undefined || d.kind !== 'value') continue;
        decoded.push({ index: Number(idx.split('.').pop()), value: d.value });
      }
      if (r.key === 'rectifierStates' || r.key === 'rectifierCurrents') {
        const recs = out.rectifiers ?? [];
        for (const d of decoded) {
          let rec = recs.find((x) => x.index === d.index);
          if (!rec) {
            rec = { index: d.index, ok: true };
            recs.push(rec);
          }
          if (r.key === 'rectifierStates') {
            const entry = Object.values(r.enumMap ?? {}).find((e) => e.text === d.value);
            rec.state = String(d.value);
            rec.ok = entry ? entry.ok : true;
          } else if (typeof d.value === 'number') rec.current = d.value;
        }
        recs.sort((a, b) => a.index - b.index);
        out.rectifiers = recs;
      } else {
        const nums = decoded.map((d) => d.value).filter((v): v is number => typeof v === 'number');
        if (nums.length > 0) out.values[r.key] = nums;
        else note(r.key, 'invalid');
      }
      continue;
    }
    const d = decodeRow(r, get(r.oid), decimals);
    if (d.kind === 'unsupported') {
      note(r.key, 'unsupported');
      continue;
    }
    if (d.kind === 'invalid') {
      note(r.key, 'invalid');
      continue;
    }
    if (r.type === 'flag' || r.type === 'bitmask') {
      const active = d.value === 1;
      if (r.key === 'onBattery') {
        layerValues.set('onBattery', active ? 1 : 0);
        continue;
      }
      out.flagAlarms[r.key] = active;
      // store the flag as the EM software would log it: the row's polarity, 0/1
      const def = jupiterAlarm(r.key);
      const alarmFlag = def?.signal.kind === 'flag' ? def.signal.alarmFlag : 1;
      out.flags[r.key] = active ? alarmFlag : ((1 - alarmFlag) as 0 | 1);
      continue;
    }
    layerValues.set(r.key, d.value);
  }

  for (const [k, v] of layerValues) {
    if (k === 'onBattery') continue;
    out.values[k] = v;
  }
  // derived booleans
  const source = layerValues.get('outputSource');
  if (layerValues.has('onBattery')) out.values.onBattery = layerValues.get('onBattery') === 1;
  else if (typeof source === 'string' && KNOWN_SOURCES.has(source)) out.values.onBattery = source === 'battery';
  // values answered by a later layer are not unsupported any more
  out.unsupported = out.unsupported.filter((k) => !(k in out.values));
  out.invalid = out.invalid.filter((k) => !(k in out.values));
  return out;
}
