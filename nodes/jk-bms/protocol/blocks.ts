/**
 * The JK-PB data blocks, shared by the JK02 300-byte frames and the JK Modbus register map: every 32S field
 * sits at its Modbus block byte offset + 6 (docs/jk-bms-protocols.md §4.2), so one table per block serves both,
 * walked LE for JK02 and BE for Modbus. The 24S cell-info layout has its own table. Offsets are block byte offsets.
 */
import { alarmIds, JK02_ALARM_BITS } from './alarm-bits';
import { arr, FieldSpec, FieldValues, num, str, tidy } from './fields';
import { JK_BATTERY_TYPES, JK_CHARGE_STATUSES } from './types';
import type { JkDeviceInfo, JkReading, JkSettings, JkSwitchStates } from './types';

/** Live-data block 0x1200 / JK02 32S cell-info frame (type 0x02) at offset + 6 (docs/jk-bms-protocols.md §4.3, §6.5). */
export const LIVE_BLOCK_32S: readonly FieldSpec[] = [
  { key: 'cells', offset: 0x00, type: 'u16', count: 32, scale: 0.001 },
  { key: 'cellMask', offset: 0x40, type: 'u32' },
  { key: 'cellAverage', offset: 0x44, type: 'u16', scale: 0.001 },
  { key: 'cellDelta', offset: 0x46, type: 'u16', scale: 0.001 },
  { key: 'cellMaxIndex0', offset: 0x48, type: 'u8' },
  { key: 'cellMinIndex0', offset: 0x49, type: 'u8' },
  { key: 'resistances', offset: 0x4a, type: 'u16', count: 32 },
  { key: 'mosTemperature', offset: 0x8a, type: 'i16', scale: 0.1 },
  { key: 'wireAlarmBits', offset: 0x8c, type: 'u32' },
  { key: 'voltage', offset: 0x90, type: 'u32', scale: 0.001 },
  { key: 'powerMagnitude', offset: 0x94, type: 'u32', scale: 0.001 },
  { key: 'current', offset: 0x98, type: 'i32', scale: 0.001 },
  { key: 't1', offset: 0x9c, type: 'i16', scale: 0.1 },
  { key: 't2', offset: 0x9e, type: 'i16', scale: 0.1 },
  { key: 'alarmBits', offset: 0xa0, type: 'u32' },
  { key: 'balanceCurrent', offset: 0xa4, type: 'i16', scale: 0.001 },
  { key: 'balancerAction', offset: 0xa6, type: 'u8' },
  { key: 'soc', offset: 0xa7, type: 'u8' },
  { key: 'remainingCapacity', offset: 0xa8, type: 'i32', scale: 0.001 },
  { key: 'nominalCapacity', offset: 0xac, type: 'u32', scale: 0.001 },
  { key: 'cycles', offset: 0xb0, type: 'u32' },
  { key: 'cycleCapacity', offset: 0xb4, type: 'u32', scale: 0.001 },
  { key: 'soh', offset: 0xb8, type: 'u8' },
  { key: 'precharge', offset: 0xb9, type: 'u8' },
  { key: 'runtime', offset: 0xbc, type: 'u32' },
  { key: 'chargeMos', offset: 0xc0, type: 'u8' },
  { key: 'dischargeMos', offset: 0xc1, type: 'u8' },
  { key: 'sensorBits', offset: 0xd0, type: 'u8' },
  { key: 'heater', offset: 0xd1, type: 'u8' },
  { key: 'emergencyCountdown', offset: 0xd4, type: 'u16' },
  { key: 'heaterCurrent', offset: 0xe6, type: 'i16', scale: 0.001 },
  // 254 mirrors the MOSFET temperature in every capture; 256 = T4, 258 = T5 (docs/jk-bms-protocols.md §4.3)
  { key: 'tempAt254', offset: 0xf8, type: 'i16', scale: 0.1 },
  { key: 'tempAt256', offset: 0xfa, type: 'i16', scale: 0.1 },
  { key: 'tempAt258', offset: 0xfc, type: 'i16', scale: 0.1 },
  { key: 'logEntryCount', offset: 0x104, type: 'u32' },
  { key: 'smartSleepCountdown', offset: 0x108, type: 'u32' },
  { key: 'batteryTypeCode', offset: 0x10d, type: 'u8' },
  // frame 278-281: read from JK02 frames only; the Modbus status plan stops at 0x130D (docs/jk-bms-protocols.md §6.4)
  { key: 'chargeStatusTime', offset: 0x110, type: 'u16' },
  { key: 'chargeStatusCode', offset: 0x112, type: 'u8' },
  { key: 'dryContacts', offset: 0x113, type: 'u8' },
];

/** Extra battery probes of the 32S layout: field, name, sensor-present bit at 214 (docs/jk-bms-protocols.md §4.3). */
const EXTRA_PROBES: ReadonlyArray<{ key: string; name: string; bit: number }> = [
  { key: 'tempAt256', name: 'T4', bit: 0x10 },
  { key: 'tempAt258', name: 'T5', bit: 0x20 },
];

/**
 * JK02 24S cell-info frame (type 0x02), frame offsets - 6 so it walks like the 32S table
 * (docs/jk-bms-protocols.md §4.3).
 */
export const LIVE_BLOCK_24S: readonly FieldSpec[] = [
  { key: 'cells', offset: 0, type: 'u16', count: 24, scale: 0.001 },
  { key: 'cellMask', offset: 48, type: 'u32' },
  { key: 'cellAverage', offset: 52, type: 'u16', scale: 0.001 },
  { key: 'cellDelta', offset: 54, type: 'u16', scale: 0.001 },
  { key: 'cellMaxIndex0', offset: 56, type: 'u8' },
  { key: 'cellMinIndex0', offset: 57, type: 'u8' },
  { key: 'resistances', offset: 58, type: 'u16', count: 24 },
  { key: 'wireAlarmBits', offset: 108, type: 'u32' },
  { key: 'voltage', offset: 112, type: 'u32', scale: 0.001 },
  { key: 'powerMagnitude', offset: 116, type: 'u32', scale: 0.001 },
  { key: 'current', offset: 120, type: 'i32', scale: 0.001 },
  { key: 't1', offset: 124, type: 'i16', scale: 0.1 },
  { key: 't2', offset: 126, type: 'i16', scale: 0.1 },
  { key: 'mosTemperature', offset: 128, type: 'i16', scale: 0.1 },
  { key: 'alarmBits', offset: 130, type: 'u16' },
  { key: 'balanceCurrent', offset: 132, type: 'i16', scale: 0.001 },
  { key: 'balancerAction', offset: 134, type: 'u8' },
  { key: 'soc', offset: 135, type: 'u8' },
  // i32 like the 32S layout and Modbus 0x12A8 (docs/jk-bms-protocols.md §4.3, settled)
  { key: 'remainingCapacity', offset: 136, type: 'i32', scale: 0.001 },
  { key: 'nominalCapacity', offset: 140, type: 'u32', scale: 0.001 },
  { key: 'cycles', offset: 144, type: 'u32' },
  { key: 'cycleCapacity', offset: 148, type: 'u32', scale: 0.001 },
  { key: 'soh', offset: 152, type: 'u8' },
  { key: 'precharge', offset: 153, type: 'u8' },
  { key: 'runtime', offset: 156, type: 'u32' },
  { key: 'chargeMos', offset: 160, type: 'u8' },
  { key: 'dischargeMos', offset: 161, type: 'u8' },
  { key: 'sensorBits', offset: 176, type: 'u8' },
  { key: 'heater', offset: 177, type: 'u8' },
];

/**
 * Settings block 0x1000 / JK02 settings frame (type 0x01) at offset + 6 (docs/jk-bms-protocols.md §4.5, §6.5). Keys
 * in SI units; `writable` marks the only settings a write builder may touch (docs/jk-bms-protocols.md §10
 * allow-list).
 */
export interface SettingSpec {
  key: string;
  offset: number;
  type: 'u32' | 'i32' | 'u16' | 'u8' | 'i8';
  scale?: number;
  unit?: string;
}

export const SETTINGS_BLOCK: readonly SettingSpec[] = [
  { key: 'smartSleepVoltage', offset: 0x00, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'cellUvp', offset: 0x04, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'cellUvpRecovery', offset: 0x08, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'cellOvp', offset: 0x0c, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'cellOvpRecovery', offset: 0x10, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'balanceTriggerDelta', offset: 0x14, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'socFullVoltage', offset: 0x18, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'socEmptyVoltage', offset: 0x1c, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'chargeRequestVoltage', offset: 0x20, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'floatVoltage', offset: 0x24, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'powerOffVoltage', offset: 0x28, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'maxChargeCurrent', offset: 0x2c, type: 'u32', scale: 0.001, unit: 'A' },
  { key: 'chargeOcpDelay', offset: 0x30, type: 'u32', unit: 's' },
  { key: 'chargeOcpRecovery', offset: 0x34, type: 'u32', unit: 's' },
  { key: 'maxDischargeCurrent', offset: 0x38, type: 'u32', scale: 0.001, unit: 'A' },
  { key: 'dischargeOcpDelay', offset: 0x3c, type: 'u32', unit: 's' },
  { key: 'dischargeOcpRecovery', offset: 0x40, type: 'u32', unit: 's' },
  { key: 'shortCircuitRecovery', offset: 0x44, type: 'u32', unit: 's' },
  { key: 'maxBalanceCurrent', offset: 0x48, type: 'u32', scale: 0.001, unit: 'A' },
  { key: 'chargeOtp', offset: 0x4c, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'chargeOtpRecovery', offset: 0x50, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'dischargeOtp', offset: 0x54, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'dischargeOtpRecovery', offset: 0x58, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'chargeUtp', offset: 0x5c, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'chargeUtpRecovery', offset: 0x60, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'mosOtp', offset: 0x64, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'mosOtpRecovery', offset: 0x68, type: 'i32', scale: 0.1, unit: '°C' },
  { key: 'cellCount', offset: 0x6c, type: 'u32' },
  { key: 'chargeSwitch', offset: 0x70, type: 'u32' },
  { key: 'dischargeSwitch', offset: 0x74, type: 'u32' },
  { key: 'balancerSwitch', offset: 0x78, type: 'u32' },
  { key: 'designCapacity', offset: 0x7c, type: 'u32', scale: 0.001, unit: 'Ah' },
  { key: 'shortCircuitDelay', offset: 0x80, type: 'u32', scale: 1e-6, unit: 's' },
  { key: 'balanceStartVoltage', offset: 0x84, type: 'u32', scale: 0.001, unit: 'V' },
  { key: 'deviceAddress', offset: 0x108, type: 'u32' },
  { key: 'prechargeTime', offset: 0x10c, type: 'u32', unit: 's' },
  { key: 'controlBits', offset: 0x114, type: 'u16' },
  // 0x1116: heater start/stop on hardware 15A firmware >= 15.41 and later (docs/jk-bms-protocols.md §4.5)
  { key: 'heaterStartTemperature', offset: 0x116, type: 'i8', unit: '°C' },
  { key: 'heaterStopTemperature', offset: 0x117, type: 'i8', unit: '°C' },
  { key: 'smartSleepTime', offset: 0x118, type: 'u8', unit: 'h' },
  { key: 'dischargeUtp', offset: 0x122, type: 'i8', unit: '°C' },
  { key: 'dischargeUtpRecovery', offset: 0x123, type: 'i8', unit: '°C' },
];

/**
 * Settings carried by the device-info block / frame (type 0x03) beyond the identity strings, block offsets (frame
 * offset - 6, esphome `decode_device_info_`). Protocol numbers and triggers stay codes: their names differ per
 * firmware.
 */
export const DEVICE_SETTINGS: readonly SettingSpec[] = [
  { key: 'uart1Protocol', offset: 178, type: 'u8' },
  { key: 'canProtocol', offset: 179, type: 'u8' },
  { key: 'uart1ProtocolsEnabled', offset: 180, type: 'u32' },
  { key: 'canProtocolsEnabled', offset: 196, type: 'u32' },
  { key: 'uart2Protocol', offset: 212, type: 'u8' },
  { key: 'uart2ProtocolsEnabled', offset: 213, type: 'u32' },
  { key: 'lcdBuzzerTrigger', offset: 228, type: 'u8' },
  { key: 'dryContact1Trigger', offset: 229, type: 'u8' },
  { key: 'dryContact2Trigger', offset: 230, type: 'u8' },
  { key: 'chargeRequestVoltageTime', offset: 260, type: 'u8', scale: 0.1, unit: 'h' },
  { key: 'floatVoltageTime', offset: 261, type: 'u8', scale: 0.1, unit: 'h' },
  { key: 'emergencyDuration', offset: 263, type: 'u8', scale: 60, unit: 's' },
  { key: 'uart3Protocol', offset: 264, type: 'u8' },
  { key: 'uart3ProtocolsEnabled', offset: 265, type: 'u32' },
  { key: 'reBulkSoc', offset: 272, type: 'u8', unit: '%' },
];

/** Control bits of settings 0x1114 / frame 282 -> switch names (docs/jk-bms-protocols.md §4.5). */
const CONTROL_BITS: ReadonlyArray<keyof JkSwitchStates> = [
  'heater',
  'temperatureSensorsDisabled',
  'gpsHeartbeat',
  'portRs485',
  'displayAlwaysOn',
  'specialCharger',
  'smartSleep',
  'pclModuleDisabled',
  'timedStoredData',
  'chargingFloatMode',
  'emergencyButtonTrigger',
  'dryContactAlarmIntermittent',
  'dischargeOcp2',
  'dischargeOcp3',
  'gpsLockedCharging',
  'gpsLockedDischarging',
];

/** The configured switches a settings block holds (the U32 enables and the control word), or undefined. */
export function switchesFromSettings(settings: JkSettings): JkSwitchStates | undefined {
  const out: JkSwitchStates = {};
  const enables: Array<[keyof JkSwitchStates, string]> = [
    ['charge', 'chargeSwitch'],
    ['discharge', 'dischargeSwitch'],
    ['balancer', 'balancerSwitch'],
  ];
  for (const [name, key] of enables) if (settings[key] !== undefined) out[name] = settings[key] === 1;
  const control = settings.controlBits;
  if (control !== undefined) CONTROL_BITS.forEach((name, bit) => (out[name] = ((control >>> bit) & 1) === 1));
  return Object.keys(out).length ? out : undefined;
}

/** Device-info block 0x1400 / JK02 device-info frame (type 0x03) at offset + 6 (docs/jk-bms-protocols.md §4.6). The
 * passcode fields at 56, 91 and 112 are deliberately absent: they are never decoded. */
export const DEVICE_BLOCK: readonly FieldSpec[] = [
  { key: 'model', offset: 0, type: 'ascii', length: 16 },
  { key: 'hardware', offset: 16, type: 'ascii', length: 8 },
  { key: 'software', offset: 24, type: 'ascii', length: 8 },
  { key: 'uptime', offset: 32, type: 'u32' },
  { key: 'powerOnCount', offset: 36, type: 'u32' },
  { key: 'name', offset: 40, type: 'ascii', length: 16 },
  { key: 'manufacturingDate', offset: 72, type: 'ascii', length: 8 },
  { key: 'serial', offset: 80, type: 'ascii', length: 11 },
  ...DEVICE_SETTINGS.map((d) => ({ key: d.key, offset: d.offset, type: d.type, scale: d.scale })),
];

/** The secret ranges of the device-info block (block offsets), masked by anything that prints raw frames. */
export const DEVICE_SECRET_RANGES: ReadonlyArray<[number, number]> = [
  [56, 16],
  [91, 5],
  [112, 16],
];

/** Live-block field values -> JkReading: derived cell statistics, sign rules, probe presence, alarms. */
export function liveReading(v: FieldValues, invertCurrent: boolean): { reading: JkReading; raw: { [key: string]: number } } {
  const reading: JkReading = {};
  const raw: { [key: string]: number } = {};
  const mask = num(v, 'cellMask');
  const cells = arr(v, 'cells');
  if (cells) {
    // the cell-present mask says which slots are real; without it, trailing zero slots are absent
    let count = cells.length;
    if (mask !== undefined && mask > 0) {
      let bits = 0;
      for (let i = 0; i < cells.length && i < 32; i++) if ((mask >>> i) & 1) bits = i + 1;
      count = bits;
    } else {
      while (count > 0 && cells[count - 1] === 0) count--;
    }
    reading.cellVoltages = cells.slice(0, count);
    reading.cellCount = count;
    const res = arr(v, 'resistances');
    if (res) reading.cellResistances = res.slice(0, count);
    Object.assign(reading, cellStats(reading.cellVoltages));
  }
  const avg = num(v, 'cellAverage');
  if (avg !== undefined && reading.cellAverage === undefined) reading.cellAverage = avg;
  const delta = num(v, 'cellDelta');
  if (delta !== undefined && reading.cellDelta === undefined) reading.cellDelta = delta;
  copy(v, reading, ['voltage', 'soc', 'soh', 'remainingCapacity', 'nominalCapacity', 'cycleCapacity', 'cycles', 'runtime']);
  const current = num(v, 'current');
  if (current !== undefined) reading.current = invertCurrent ? tidy(-current) : current;
  const power = num(v, 'powerMagnitude');
  if (power !== undefined) reading.power = reading.current !== undefined && reading.current < 0 ? -power : power;
  const t1 = num(v, 't1');
  const t2 = num(v, 't2');
  const sensors = num(v, 'sensorBits');
  if (t1 !== undefined || t2 !== undefined) {
    const temps: number[] = [];
    const names: string[] = [];
    const add = (t: number | undefined, name: string, present: boolean): void => {
      if (t === undefined || !present) return;
      temps.push(t);
      names.push(name);
    };
    // present bits (1 = probe fitted); a frame without the byte reports both probes
    add(t1, 'T1', sensors === undefined || (sensors & 0x02) !== 0);
    add(t2, 'T2', sensors === undefined || (sensors & 0x04) !== 0);
    // T4/T5 only with their present bit: without the byte nothing says a probe is there
    for (const probe of EXTRA_PROBES) add(num(v, probe.key), probe.name, sensors !== undefined && (sensors & probe.bit) !== 0);
    reading.temperatures = temps;
    reading.temperatureProbes = names;
  }
  const mos = num(v, 'mosTemperature');
  // bit 0 = MOS probe present
  if (mos !== undefined && (sensors === undefined || sensors & 0x01)) reading.mosTemperature = mos;
  const chargeMos = num(v, 'chargeMos');
  if (chargeMos !== undefined) reading.chargeEnabled = chargeMos === 1;
  const dischargeMos = num(v, 'dischargeMos');
  if (dischargeMos !== undefined) reading.dischargeEnabled = dischargeMos === 1;
  const action = num(v, 'balancerAction');
  if (action !== undefined) reading.balancing = action === 1 || action === 2;
  const balanceCurrent = num(v, 'balanceCurrent');
  if (balanceCurrent !== undefined) reading.balanceCurrent = balanceCurrent;
  const heater = num(v, 'heater');
  if (heater !== undefined) reading.heating = heater === 1;
  const precharge = num(v, 'precharge');
  if (precharge !== undefined) reading.precharging = precharge === 1;
  copy(v, reading, ['heaterCurrent', 'smartSleepCountdown', 'chargeStatusTime', 'logEntryCount']);
  const emergency = num(v, 'emergencyCountdown');
  if (emergency !== undefined) {
    reading.emergencyCountdown = emergency;
    reading.emergency = emergency > 0;
  }
  const stage = num(v, 'chargeStatusCode');
  if (stage !== undefined && JK_CHARGE_STATUSES[stage]) reading.chargeStatus = JK_CHARGE_STATUSES[stage];
  const battery = num(v, 'batteryTypeCode');
  if (battery !== undefined && JK_BATTERY_TYPES[battery]) reading.batteryType = JK_BATTERY_TYPES[battery];
  const dry = num(v, 'dryContacts');
  if (dry !== undefined) {
    reading.dryContact1 = (dry & 0x02) !== 0;
    reading.dryContact2 = (dry & 0x04) !== 0;
  }
  const alarmBits = num(v, 'alarmBits');
  const wireBits = num(v, 'wireAlarmBits');
  if (alarmBits !== undefined || wireBits !== undefined) {
    const ids = alarmIds(alarmBits ?? 0, JK02_ALARM_BITS);
    if (wireBits && !ids.includes('wire-resistance')) ids.unshift('wire-resistance');
    reading.alarms = ids;
  }
  if (alarmBits !== undefined) raw.alarmBits = alarmBits;
  for (const key of ['tempAt254', 'tempAt256', 'tempAt258']) {
    const t = num(v, key);
    if (t !== undefined) raw[key] = t;
  }
  return { reading, raw };
}

export function cellStats(cells: number[]): Partial<JkReading> {
  if (cells.length === 0) return {};
  let min = Infinity;
  let max = -Infinity;
  let minIndex = 0;
  let maxIndex = 0;
  let sum = 0;
  cells.forEach((c, i) => {
    if (c < min) {
      min = c;
      minIndex = i;
    }
    if (c > max) {
      max = c;
      maxIndex = i;
    }
    sum += c;
  });
  return {
    cellMin: min,
    cellMax: max,
    cellDelta: tidy(max - min),
    cellAverage: Math.round((sum / cells.length) * 1e4) / 1e4,
    cellMinIndex: minIndex + 1,
    cellMaxIndex: maxIndex + 1,
  };
}

function copy(v: FieldValues, reading: JkReading, keys: Array<keyof JkReading>): void {
  const target = reading as { [key: string]: unknown };
  for (const key of keys) {
    const value = num(v, key);
    if (value !== undefined) target[key] = value;
  }
}

export function settingsFromValues(v: FieldValues, table: readonly SettingSpec[] = SETTINGS_BLOCK): JkSettings {
  const out: JkSettings = {};
  for (const s of table) {
    const value = num(v, s.key);
    if (value !== undefined) out[s.key] = value;
  }
  return out;
}

export function deviceFromValues(v: FieldValues): JkDeviceInfo {
  const out: JkDeviceInfo = {};
  for (const key of ['model', 'hardware', 'software', 'name', 'manufacturingDate', 'serial'] as const) {
    const s = str(v, key);
    if (s !== undefined && s !== '') out[key] = s;
  }
  const uptime = num(v, 'uptime');
  if (uptime !== undefined) out.uptime = uptime;
  const count = num(v, 'powerOnCount');
  if (count !== undefined) out.powerOnCount = count;
  return out;
}

/** The settings table as walkable fields. */
export const SETTINGS_FIELDS: readonly FieldSpec[] = SETTINGS_BLOCK.map((s) => ({ key: s.key, offset: s.offset, type: s.type, scale: s.scale }));
