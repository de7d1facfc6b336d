/**
 * Pure helpers of the jk-bms node: the address list syntax, the device alarms with their texts and first-seen
 * times, and the envelope of one pack's reading (its units and ranges from schema.ts).
 */
import { DeviceAlarm, DeviceIdentity, DeviceMessage, envelope, envelopePerValue, Quality, Reading, Unit } from '../../lib/wire/envelope';
import { screenReading, Screened } from '../../lib/plausibility';
import { unitsOf } from '../../lib/schema';
import { alarmText, JK_ALARM_BY_ID } from './alarms';
import type { JkDeviceInfo, JkReading, JkSettings, JkSwitchStates } from './protocol';
import { JK_RANGES, JK_SCHEMA, SETTING_SECONDS_PER_UNIT, SETTINGS_FIELDS } from './schema';

/**
 * A pack's payload: the reading of its last status frame, plus the settings last read (`settings.readAt` says when)
 * and the switches as configured.
 */
export type JkPayload = JkReading & { settings?: { readAt: number } & JkSettings; switches?: JkSwitchStates };

/**
 * `msg.device` of a JK pack: the identity, plus what the device-info frame tells (never its passwords).
 * `deviceName` is the name set in the JK app; `name` stays the node's name of the pack (`pack<address>`).
 */
export type JkDeviceIdentity = DeviceIdentity & {
  deviceName?: string;
  manufacturingDate?: string;
  /** s the BMS has been running */
  uptime?: number;
  powerOnCount?: number;
  /** NW 0xC0 */
  protocolVersion?: number;
};

/** `1-4,7` -> [1, 2, 3, 4, 7]; an error names the bad part. Addresses 0-247, at most 64 packs per node. */
export function parseAddresses(text: string, max = 247): { ok: true; value: number[] } | { ok: false; error: string } {
  const out = new Set<number>();
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return { ok: false, error: 'no address given' };
  for (const part of trimmed.split(/[,;\s]+/).filter((p) => p.length > 0)) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    const single = /^\d+$/.test(part) ? Number(part) : undefined;
    let from: number;
    let to: number;
    if (range) {
      from = Number(range[1]);
      to = Number(range[2]);
    } else if (single !== undefined) {
      from = to = single;
    } else return { ok: false, error: `'${part}' is not an address or a range like 1-4` };
    if (from > to || to > max) return { ok: false, error: `'${part}' is outside 0-${max}` };
    for (let a = from; a <= to; a++) out.add(a);
    if (out.size > 64) return { ok: false, error: 'more than 64 addresses' };
  }
  return { ok: true, value: [...out].sort((a, b) => a - b) };
}

/** the unit of every top-level JK reading key that has one (schema.ts); fields of `settings` are added per payload */
export const JK_UNITS: { readonly [key: string]: Unit } = Object.fromEntries(Object.entries(unitsOf(JK_SCHEMA)).filter(([key]) => !key.includes('.')));

/** Tracks when each device alarm was first seen, per pack, so `since` stays put while it is active. */
export class AlarmTracker {
  private readonly since = new Map<string, Map<string, number>>();

  update(pack: string, ids: readonly string[], at: number, lang: 'en-US' | 'zh-CN'): DeviceAlarm[] {
    const previous = this.since.get(pack) ?? new Map<string, number>();
    const next = new Map<string, number>();
    for (const id of ids) next.set(id, previous.get(id) ?? at);
    this.since.set(pack, next);
    return ids.map((id) => ({
      id,
      text: alarmText(id, lang),
      severity: JK_ALARM_BY_ID.get(id)?.severity ?? 'warning',
      since: next.get(id) ?? at,
      source: 'device',
    }));
  }
}

export function identity(kind: DeviceIdentity['kind'], name: string, address: number, info: JkDeviceInfo | undefined): JkDeviceIdentity {
  const device: JkDeviceIdentity = { kind, name, address };
  if (info?.model) device.model = info.model;
  if (info?.software) device.firmware = info.software;
  if (info?.hardware) device.hardware = info.hardware;
  if (info?.serial) device.serial = info.serial;
  if (info?.name) device.deviceName = info.name;
  if (info?.manufacturingDate) device.manufacturingDate = info.manufacturingDate;
  if (info?.uptime !== undefined) device.uptime = info.uptime;
  if (info?.powerOnCount !== undefined) device.powerOnCount = info.powerOnCount;
  if (info?.protocolVersion !== undefined) device.protocolVersion = info.protocolVersion;
  return device;
}

/**
 * The decoded settings as `payload.settings` carries them: only the keys the schema describes (the switch words go to
 * `switches`, the address is the pack's), hours as seconds, and values no firmware accepts left out.
 */
export function settingsForPayload(decoded: JkSettings): JkSettings {
  const out: JkSettings = {};
  for (const [key, value] of Object.entries(decoded)) {
    if (key === 'readAt' || !Object.prototype.hasOwnProperty.call(SETTINGS_FIELDS, key)) continue;
    out[key] = Math.round(value * (SETTING_SECONDS_PER_UNIT[key] ?? 1) * 1e6) / 1e6;
  }
  const screened = screenReading({ settings: out }, JK_RANGES);
  return screened.rejected ? {} : screened.reading.settings;
}

/** `msg.units` of a payload: each key's unit, and `<key>.<field>` for the fields of an object key present (`settings.cellOvp`). */
export function payloadUnits(payload: object): { [key: string]: Unit } {
  const units: { [key: string]: Unit } = {};
  for (const [key, value] of Object.entries(payload)) {
    const unit = JK_UNITS[key];
    if (unit !== undefined) units[key] = unit;
    const fields = JK_SCHEMA.keys[key]?.type === 'object' ? JK_SCHEMA.keys[key].fields : undefined;
    if (!fields || typeof value !== 'object' || value === null) continue;
    for (const field of Object.keys(value)) if (fields[field] && fields[field].unit !== '') units[`${key}.${field}`] = fields[field].unit;
  }
  return units;
}

/**
 * The reading of one frame without the values no real pack can report (nodes/jk-bms/schema.ts). `rejected` means
 * the frame is nonsense (an impossible cell, or most keys out of range): the node then treats it as a failed read.
 */
export function screenPack(reading: JkReading): Screened<JkReading> {
  return screenReading(reading, JK_RANGES);
}

export interface PackMessageInput {
  prefix: string;
  device: JkDeviceIdentity;
  reading: JkPayload;
  quality: Quality;
  timestamp: number;
  alarms: DeviceAlarm[];
  perValue: boolean;
  /** per-value mode: only these keys (only-on-change) */
  keys?: readonly string[];
}

export function packMessages(input: PackMessageInput): DeviceMessage[] {
  const common = {
    prefix: input.prefix,
    device: input.device,
    reading: input.reading as Reading,
    quality: input.quality,
    timestamp: input.timestamp,
    alarms: input.alarms,
    units: JK_UNITS,
  };
  if (!input.perValue) {
    const whole = envelope(common) as DeviceMessage;
    return [{ ...whole, units: payloadUnits(whole.payload as object) }];
  }
  const all = (envelopePerValue(common) as DeviceMessage[]).map((m) => {
    const key = m.topic.slice(m.topic.lastIndexOf('/') + 1);
    return { ...m, units: payloadUnits({ [key]: m.payload }) };
  });
  if (!input.keys) return all;
  const wanted = new Set(input.keys);
  return all.filter((m) => wanted.has(m.topic.slice(m.topic.lastIndexOf('/') + 1)));
}

/** `voltage=0.05, cellVoltages=0.005` -> deadbands per key; a bare number is the default for every key. */
export function parseDeadbands(text: string): { deadbands: { [key: string]: number }; defaultDeadband: number } {
  const deadbands: { [key: string]: number } = {};
  let defaultDeadband = 0;
  for (const part of String(text ?? '').split(/[,;]+/)) {
    const m = /^\s*([A-Za-z][\w]*)\s*[=:]\s*([\d.]+)\s*$/.exec(part);
    if (m && Number.isFinite(Number(m[2]))) deadbands[m[1]] = Number(m[2]);
    else if (/^\s*[\d.]+\s*$/.test(part) && Number.isFinite(Number(part))) defaultDeadband = Number(part);
  }
  return { deadbands, defaultDeadband };
}
