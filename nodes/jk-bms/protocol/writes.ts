/**
 * Pure builders of the setting writes integrators change from flows (docs/jk-bms-protocols.md §10): max charge and
 * discharge current, balance trigger and start voltage, max balance current, and the DZ11 balancer's cell count.
 * Each value is checked against the device's own limits and against the protection settings it must stay inside
 * (the last values read from the device, passed in `context`); a value that fails returns a typed error, never a
 * throw and never a frame. The frames go out in order (NW: password command first, 150 ms apart).
 */
import { encodeWriteMultipleRegisters } from '../../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../../lib/wire/modbus-rtu';
import { ok, Result } from '../../../lib/wire/result';
import { BALANCER_COMMANDS, encodeBalancerRequest } from './balancer';
import { encodeNwFrame, NW_COMMANDS, NW_SOURCE } from './nw';
import type { JkDeviceInfo, JkProtocolId, JkSettings } from './types';

export type JkWritableSetting = 'maxChargeCurrent' | 'maxDischargeCurrent' | 'balanceTriggerDelta' | 'balanceStartVoltage' | 'maxBalanceCurrent' | 'cellCount';
export const JK_WRITABLE_SETTINGS: readonly JkWritableSetting[] = ['maxChargeCurrent', 'maxDischargeCurrent', 'balanceTriggerDelta', 'balanceStartVoltage', 'maxBalanceCurrent', 'cellCount'];

export type JkWriteErrorCode =
  /** the protocol has no such setting, or the package does not write it there */
  | 'unsupported'
  /** the address cannot be addressed by the protocol */
  | 'bad_address'
  /** not a finite number (or not an integer where one is needed) */
  | 'not_a_number'
  /** outside the device's own range */
  | 'out_of_range'
  /** finer than the device's resolution (NW takes whole amperes) */
  | 'resolution'
  /** would cross a protection setting it must stay inside */
  | 'conflicts_with_setting'
  /** a protection setting it must stay inside has not been read yet */
  | 'unknown_bound';

export interface JkWriteError {
  code: JkWriteErrorCode;
  setting: string;
  value: unknown;
  message: string;
  /** the range that applied, in the setting's unit */
  min?: number;
  max?: number;
  /** the setting key that was crossed or unknown */
  bound?: string;
}

/** The last values read from the device: its settings and identity (the model names the current rating). */
export interface JkWriteContext {
  settings?: JkSettings;
  device?: JkDeviceInfo;
}

interface Bound {
  key: string;
  /** the value must be strictly above (`above`) or below (`below`) the setting */
  side: 'above' | 'below';
  /** false: a protocol that lacks this setting is not held by it (e.g. NW's cell-difference protection) */
  required: boolean;
}

interface WritableRow {
  unit: string;
  min: number;
  max: number;
  /** the device's own limit from its identity, when the model string tells it */
  deviceMax?: (device: JkDeviceInfo | undefined) => number | undefined;
  bounds: readonly Bound[];
  integer?: boolean;
}

/** Rated current of a JK BMS from its model string: `…16S20P` / `B2A24S15P` -> 20 / 15 × 10 A. */
export function ratedCurrent(device: JkDeviceInfo | undefined): number | undefined {
  const m = /\d+S(\d{1,2})P/i.exec(device?.model ?? '');
  return m ? Number(m[1]) * 10 : undefined;
}

/** Balancer rating of a JK BMS from its model string: `B1A` = 1 A, `B2A` / `PB2A` = 2 A active balancer. */
export function ratedBalanceCurrent(device: JkDeviceInfo | undefined): number | undefined {
  const m = /B(\d)A/i.exec(device?.model ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Limits in the setting's unit (V, A, cells). Protocol-wide ranges are the widest any JK model allows. */
export const WRITABLE_LIMITS: { [K in JkWritableSetting]: WritableRow } = {
  maxChargeCurrent: { unit: 'A', min: 1, max: 600, deviceMax: ratedCurrent, bounds: [] },
  maxDischargeCurrent: { unit: 'A', min: 1, max: 600, deviceMax: ratedCurrent, bounds: [] },
  // below the cell-difference protection where the device has one (NW 0x96), or balancing would trip it
  balanceTriggerDelta: { unit: 'V', min: 0.002, max: 1, bounds: [{ key: 'cellDeltaProtection', side: 'below', required: false }] },
  // balancing must be able to start between the cell under- and over-voltage protections
  balanceStartVoltage: {
    unit: 'V',
    min: 1.2,
    max: 4.5,
    bounds: [
      { key: 'cellUvp', side: 'above', required: true },
      { key: 'cellOvp', side: 'below', required: true },
    ],
  },
  maxBalanceCurrent: { unit: 'A', min: 0.03, max: 2, deviceMax: ratedBalanceCurrent, bounds: [] },
  cellCount: { unit: '', min: 2, max: 24, bounds: [], integer: true },
};

/** Where each setting lives per protocol and in which raw unit (raw = value × scale). */
const MODBUS_REGISTERS: { [K in JkWritableSetting]?: number } = {
  maxChargeCurrent: 0x102c,
  maxDischargeCurrent: 0x1038,
  balanceTriggerDelta: 0x1014,
  balanceStartVoltage: 0x1084,
  maxBalanceCurrent: 0x1048,
};
const NW_IDS: { [K in JkWritableSetting]?: { id: number; scale: number } } = {
  maxChargeCurrent: { id: 0x99, scale: 1 },
  maxDischargeCurrent: { id: 0x97, scale: 1 },
  balanceTriggerDelta: { id: 0x9c, scale: 1000 },
  balanceStartVoltage: { id: 0x9b, scale: 1000 },
};
const BALANCER_SETTINGS: { [K in JkWritableSetting]?: { command: number; scale: number } } = {
  cellCount: { command: BALANCER_COMMANDS.cellCount, scale: 1 },
  balanceTriggerDelta: { command: BALANCER_COMMANDS.triggerDelta, scale: 1000 },
  maxBalanceCurrent: { command: BALANCER_COMMANDS.maxBalanceCurrent, scale: 1000 },
};

function fail(code: JkWriteErrorCode, setting: string, value: unknown, message: string, extra: Partial<JkWriteError> = {}): { ok: false; error: JkWriteError } {
  return { ok: false, error: { code, setting, value, message, ...extra } };
}

/** The range a value must lie in, after the device's own limit; or the error that forbids any write. */
export function checkSettingValue(setting: JkWritableSetting, value: unknown, context: JkWriteContext = {}): Result<number, JkWriteError> {
  const row = WRITABLE_LIMITS[setting];
  if (!row) return fail('unsupported', String(setting), value, `${String(setting)} is not a writable setting`);
  if (typeof value !== 'number' || !Number.isFinite(value) || (row.integer && !Number.isInteger(value))) {
    return fail('not_a_number', setting, value, `${setting} must be ${row.integer ? 'an integer' : 'a finite number'}`);
  }
  const max = Math.min(row.max, row.deviceMax?.(context.device) ?? Infinity);
  if (value < row.min - 1e-9 || value > max + 1e-9) {
    return fail('out_of_range', setting, value, `${setting} ${value} ${row.unit} is outside ${row.min}-${max} ${row.unit}`.trim(), { min: row.min, max });
  }
  for (const bound of row.bounds) {
    const limit = context.settings?.[bound.key];
    if (limit === undefined) {
      if (bound.required) return fail('unknown_bound', setting, value, `${bound.key} has not been read; read the settings first`, { bound: bound.key });
      continue;
    }
    const crosses = bound.side === 'above' ? value <= limit : value >= limit;
    if (crosses) return fail('conflicts_with_setting', setting, value, `${setting} ${value} must stay ${bound.side} ${bound.key} ${limit}`, { bound: bound.key });
  }
  return ok(value);
}

/** Raw integer of a value at a scale, or undefined when the value is finer than the device's resolution. */
function rawAt(value: number, scale: number): number | undefined {
  const raw = Math.round(value * scale);
  return Math.abs(raw - value * scale) > 1e-6 ? undefined : raw;
}

/**
 * The frames that write one setting. jk02 and jk-modbus write the JK-PB settings registers with FC10 (U32, high
 * word first; on the JK-PB bus the same RTU write as the switches); jk-nw sends the password command and then
 * the ID write; jk-balancer sends its set command.
 */
export function buildSettingWrite(protocol: JkProtocolId, address: number, setting: JkWritableSetting, value: unknown, context: JkWriteContext = {}): Result<Buffer[], JkWriteError> {
  const checked = checkSettingValue(setting, value, context);
  if (!checked.ok) return checked;
  const v = checked.value;
  const resolution = (scale: number) => fail('resolution', setting, v, `${setting} ${v} is finer than the device's resolution of ${1 / scale} ${WRITABLE_LIMITS[setting].unit}`);
  if (protocol === 'jk02' || protocol === 'jk-modbus') {
    const register = MODBUS_REGISTERS[setting];
    if (register === undefined) return fail('unsupported', setting, v, `${protocol} does not take ${setting} writes`);
    const maxAddress = protocol === 'jk02' ? 15 : 247;
    if (!Number.isInteger(address) || address < 0 || address > maxAddress) return fail('bad_address', setting, v, `address ${address} is outside 0-${maxAddress}`);
    // every one of these registers holds mV or mA
    const raw = rawAt(v, 1000);
    if (raw === undefined) return resolution(1000);
    return ok([encodeRtu(address, encodeWriteMultipleRegisters(register, [Math.floor(raw / 0x10000), raw % 0x10000]))]);
  }
  if (protocol === 'jk-nw') {
    const target = NW_IDS[setting];
    if (!target) return fail('unsupported', setting, v, `NW has no ${setting} to write`);
    const raw = rawAt(v, target.scale);
    if (raw === undefined) return resolution(target.scale);
    return ok([
      encodeNwFrame(NW_COMMANDS.password, NW_SOURCE.pc, 0, Uint8Array.of(0x00, 0x00)),
      encodeNwFrame(NW_COMMANDS.write, NW_SOURCE.pc, 0, Uint8Array.of(target.id, (raw >> 8) & 0xff, raw & 0xff)),
    ]);
  }
  if (protocol === 'jk-balancer') {
    const target = BALANCER_SETTINGS[setting];
    if (!target) return fail('unsupported', setting, v, `the DZ11 balancer has no ${setting} to write`);
    if (!Number.isInteger(address) || address < 0 || address > 255) return fail('bad_address', setting, v, `address ${address} is outside 0-255`);
    const raw = rawAt(v, target.scale);
    if (raw === undefined) return resolution(target.scale);
    return ok([encodeBalancerRequest(address, target.command, raw)]);
  }
  return fail('unsupported', setting, v, `unknown protocol ${String(protocol)}`);
}

