/**
 * What the uplink accepts: the device envelope (docs/design.md §3) and
 * alarm-rules state changes (output 1). Anything else is a clear error for the message's Catch, never a crash.
 */
import type { Quality } from '../../lib/wire/envelope';

export interface DeviceInfo {
  kind: string;
  name: string;
  address?: string;
  model?: string;
  firmware?: string;
  hardware?: string;
  serial?: string;
  /** switches the device node lets write (jk-bms with writes on: `chargeEnabled`, ...) */
  writable?: string[];
}

export interface ReadingInput {
  type: 'reading';
  device: DeviceInfo;
  quality: Quality;
  timestamp: number;
  /** the whole reading, or `{ [key]: value }` for a "one message per value" envelope */
  reading: Record<string, unknown>;
  /** set for a "one message per value" envelope */
  key?: string;
  /**
   * `msg.topic`: which message stream of the device this is (the whole reading, one value, one BACS module). A
   * value that a later message of the same stream no longer carries is no longer current.
   */
  source: string;
  units: Record<string, string>;
  alarms: Array<{ id: string; text?: string; severity?: string; since?: number }>;
}

export interface AlarmInput {
  type: 'alarm';
  id: string;
  timestamp: number;
  event: Record<string, unknown>;
}

export type UplinkInput = ReadingInput | AlarmInput;

export type Classified = { ok: true; value: UplinkInput } | { ok: false; error: string };

const QUALITIES: readonly Quality[] = ['good', 'stale', 'comm_error', 'bad_data'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function timestampOf(value: unknown, now: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : now;
}

/** An alarm-rules state change: payload `{ id, rule, state, active, ... }`. */
function isAlarmEvent(payload: unknown): payload is Record<string, unknown> & { id: string } {
  return (
    isRecord(payload) &&
    typeof payload.id === 'string' &&
    payload.id.length > 0 &&
    typeof payload.rule === 'string' &&
    typeof payload.state === 'string' &&
    typeof payload.active === 'boolean'
  );
}

export function classify(msg: Record<string, unknown>, now: number): Classified {
  const payload = msg.payload;
  if (isAlarmEvent(payload)) {
    return { ok: true, value: { type: 'alarm', id: payload.id, timestamp: timestampOf(payload.since, now), event: payload } };
  }
  const device = msg.device;
  if (!isRecord(device) || typeof device.name !== 'string' || device.name.length === 0 || typeof device.kind !== 'string' || device.kind.length === 0) {
    return { ok: false, error: 'not a device envelope (msg.device.kind and msg.device.name) nor an alarm-rules event (msg.payload.id, rule, state, active)' };
  }
  let quality: Quality = 'good';
  if (msg.quality !== undefined) {
    if (typeof msg.quality !== 'string' || !QUALITIES.includes(msg.quality as Quality)) {
      return { ok: false, error: `msg.quality must be one of ${QUALITIES.join(', ')}` };
    }
    quality = msg.quality as Quality;
  }
  const units: Record<string, string> = {};
  if (isRecord(msg.units)) for (const [k, v] of Object.entries(msg.units)) if (typeof v === 'string') units[k] = v;
  const alarms: ReadingInput['alarms'] = [];
  if (Array.isArray(msg.alarms)) {
    for (const a of msg.alarms) {
      if (isRecord(a) && typeof a.id === 'string') {
        alarms.push({
          id: a.id,
          text: typeof a.text === 'string' ? a.text : undefined,
          severity: typeof a.severity === 'string' ? a.severity : undefined,
          since: typeof a.since === 'number' ? a.since : undefined,
        });
      }
    }
  }
  const info: DeviceInfo = { kind: device.kind, name: device.name };
  for (const field of ['address', 'model', 'firmware', 'hardware', 'serial'] as const) {
    const text = optionalText(device[field]);
    if (text !== undefined) info[field] = text;
  }
  if (Array.isArray(device.writable)) info.writable = device.writable.filter((k): k is string => typeof k === 'string');
  const topic = typeof msg.topic === 'string' ? msg.topic : '';
  const base = { type: 'reading' as const, device: info, quality, timestamp: timestampOf(msg.timestamp, now), units, alarms, source: topic };
  if (isRecord(payload)) return { ok: true, value: { ...base, reading: payload } };
  if (payload === undefined || payload === null) {
    // a stale or comm_error envelope may carry no values at all
    if (quality === 'stale' || quality === 'comm_error') return { ok: true, value: { ...base, reading: {} } };
    return { ok: false, error: 'msg.payload holds no reading' };
  }
  // "one message per value": topic <prefix>/<device>/<key>, payload the bare value
  const unitKeys = Object.keys(units);
  const levels = topic.split('/').filter((l) => l.length > 0);
  const key = unitKeys.length === 1 ? unitKeys[0] : levels.length > 1 ? levels[levels.length - 1] : undefined;
  if (key === undefined) return { ok: false, error: 'a single-value envelope needs msg.topic <prefix>/<device>/<key>' };
  return { ok: true, value: { ...base, reading: { [key]: payload }, key } };
}
