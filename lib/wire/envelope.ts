/**
 * The one message envelope every device node sends (docs/design.md §3).
 * Keeping it in one place means one flow can handle JK, BACS and Jupiter readings alike.
 */

export type Quality = 'good' | 'stale' | 'comm_error' | 'bad_data';

export type DeviceKind = 'jk-bms' | 'jk-balancer' | 'bacs' | 'jupiter-hvdc';

export interface DeviceIdentity {
  kind: DeviceKind;
  name: string;
  address?: number | string;
  model?: string;
  firmware?: string;
  hardware?: string;
  serial?: string;
  /** switches a command may set now (jk-bms with writes on); absent: none */
  writable?: string[];
}

export type Severity = 'critical' | 'major' | 'minor' | 'warning';

export interface DeviceAlarm {
  id: string;
  text: string;
  severity: Severity;
  /** ms since the epoch when this node first saw the alarm active */
  since: number;
  /** where the alarm came from (e.g. `snmp`, `contact`, `device`) */
  source?: string;
  /** false when the alarm rests on a mapping nobody has checked on a device (BACS module state codes) */
  verified?: boolean;
}

/** Unit symbols used across the package; resistances are mΩ as both JK and BACS report them. */
export type Unit = 'V' | 'A' | 'W' | '°C' | '%' | 'Ah' | 's' | 'min' | 'mΩ' | 'K' | 'Hz' | 'mA' | '';

export type ReadingValue = number | boolean | string | ReadingValue[] | { [key: string]: ReadingValue };
export type Reading = { [key: string]: ReadingValue };

export interface DeviceMessage<R extends object = Reading> {
  topic: string;
  payload: R | ReadingValue;
  device: DeviceIdentity;
  quality: Quality;
  timestamp: number;
  alarms: DeviceAlarm[];
  units: { [key: string]: Unit };
  /**
   * with quality bad_data: paths of the values left out because no real device can report them
   * (`mosTemperature`, `cellVoltages[4]`, `modules[11].voltage`; lib/plausibility.ts)
   */
  badKeys?: string[];
}

/** Removes keys whose value is undefined, null or NaN: a value the device did not report is absent. */
export function withoutMissing<R extends object>(reading: R): R {
  const out: { [key: string]: unknown } = {};
  for (const [key, value] of Object.entries(reading)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    out[key] = value;
  }
  return out as R;
}

export function deviceTopic(prefix: string, deviceName: string, key?: string): string {
  const parts = [prefix, deviceName, key].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return parts.join('/');
}

export interface EnvelopeInput<R extends object> {
  prefix: string;
  device: DeviceIdentity;
  reading: R;
  quality: Quality;
  timestamp: number;
  alarms?: DeviceAlarm[];
  units: { [key: string]: Unit };
}

/** One message per device with the whole reading. */
export function envelope<R extends object>(input: EnvelopeInput<R>): DeviceMessage<R> {
  const payload = withoutMissing(input.reading);
  const units: { [key: string]: Unit } = {};
  for (const key of Object.keys(payload)) {
    const unit = input.units[key];
    if (unit !== undefined) units[key] = unit;
  }
  return {
    topic: deviceTopic(input.prefix, input.device.name),
    payload,
    device: input.device,
    quality: input.quality,
    timestamp: input.timestamp,
    alarms: input.alarms ?? [],
    units,
  };
}

/** "One message per value" mode: topic `<prefix>/<device>/<key>`, payload the bare value. */
export function envelopePerValue<R extends object>(input: EnvelopeInput<R>): DeviceMessage<R>[] {
  const whole = envelope(input);
  const payload = whole.payload as { [key: string]: ReadingValue };
  return Object.keys(payload).map((key) => ({
    ...whole,
    topic: deviceTopic(input.prefix, input.device.name, key),
    payload: payload[key],
    units: whole.units[key] !== undefined ? { [key]: whole.units[key] } : {},
  }));
}
