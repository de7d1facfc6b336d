/**
 * Pure helpers of the jk-bms node: the address list syntax, the device alarms with their texts and first-seen
 * times, and the envelope of one pack's reading (its units and ranges from schema.ts).
 */
import { DeviceAlarm, DeviceIdentity, DeviceMessage, envelope, envelopePerValue, Quality, Reading, Unit } from '../../lib/wire/envelope';
import { screenReading, Screened } from '../../lib/plausibility';
import { unitsOf } from '../../lib/schema';
import { alarmText, JK_ALARM_BY_ID } from './alarms';
import type { JkDeviceInfo, JkReading } from './protocol';
import { JK_RANGES, JK_SCHEMA } from './schema';

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

/** the unit of every JK reading key that has one (schema.ts) */
export const JK_UNITS: { readonly [key: string]: Unit } = unitsOf(JK_SCHEMA);

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

export function identity(kind: DeviceIdentity['kind'], name: string, address: number, info: JkDeviceInfo | undefined): DeviceIdentity {
  const device: DeviceIdentity = { kind, name, address };
  if (info?.model) device.model = info.model;
  if (info?.software) device.firmware = info.software;
  if (info?.hardware) device.hardware = info.hardware;
  if (info?.serial) device.serial = info.serial;
  return device;
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
  device: DeviceIdentity;
  reading: JkReading;
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
  if (!input.perValue) return [envelope(common) as DeviceMessage];
  const all = envelopePerValue(common) as DeviceMessage[];
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
