/**
 * A Jupiter unit's message (docs/design.md §3.3): its SNMP values in the design's order, `acInputOk` merged from
 * every source, contacts, flags in the manual's polarity, sensors and the active alarms. Pure: the clock is passed in.
 */
import type { NodeMessage } from 'node-red';
import { envelope, envelopePerValue, type DeviceAlarm, type EnvelopeInput, type Quality, type Reading, type ReadingValue, type Unit } from '../../lib/wire/envelope';
import { unitsOf } from '../../lib/schema';
import { JUPITER_ALARMS } from './alarms';
import { JUPITER_SCHEMA } from './schema';
import type { UnitState } from './fleet';
import type { AlarmEvent, UnitAlarms } from './unit';

/** the unit of every reading key that has one (schema.ts) */
export const JUPITER_UNITS: { [key: string]: Unit } = unitsOf(JUPITER_SCHEMA);

/** the reading keys a Jupiter message carries first, in this order */
const READING_ORDER = ['dcOutputVoltage', 'loadVoltage', 'batteryVoltage', 'batteryCurrent', 'soc', 'batteryTemperature'];

/**
 * Whether the AC input is healthy. The merged alarms (SNMP, traps, contacts) say it best: AC interruption or an
 * open AC breaker; where neither alarm's state is known, the UPS output source (on battery = no AC). Undefined
 * when nothing says.
 */
export function acInputOk(alarms: Pick<UnitAlarms, 'known' | 'isActive'>, onBattery: boolean | undefined): boolean | undefined {
  if (alarms.known('ac_interruption') || alarms.known('ac_breaker_open')) return !(alarms.isActive('ac_interruption') || alarms.isActive('ac_breaker_open'));
  return onBattery === undefined ? undefined : !onBattery;
}

/** the unit's reading as it goes out */
export function unitReading(u: UnitState): Reading {
  const d = u.decoded;
  const reading: Reading = {};
  if (d) {
    for (const k of READING_ORDER) if (d.values[k] !== undefined) reading[k] = d.values[k] as ReadingValue;
    for (const [k, v] of Object.entries(d.values)) if (!(k in reading) && k !== 'onBattery') reading[k] = v as ReadingValue;
  }
  const onBattery = u.trapOnBattery ?? (typeof d?.values.onBattery === 'boolean' ? d.values.onBattery : undefined);
  const ac = acInputOk(u.alarms, onBattery);
  if (ac !== undefined) reading.acInputOk = ac;
  if (onBattery !== undefined) reading.onBattery = onBattery;
  if (d?.rectifiers) reading.rectifiers = d.rectifiers.map((r) => ({ ...r })) as unknown as ReadingValue;
  if (u.contacts.length > 0) {
    const contacts: { [n: string]: ReadingValue } = {};
    const states: { [n: string]: ReadingValue } = {};
    for (const c of u.contacts) {
      states[String(c.config.n)] = c.state;
      if (c.state === 'closed' || c.state === 'open') contacts[String(c.config.n)] = c.state === 'closed';
    }
    reading.contacts = contacts;
    reading.contactStates = states;
  }
  // flags in the manual's polarity, wherever the alarm's state is known (the alarm-rules preset reads them)
  const flags: { [id: string]: ReadingValue } = {};
  for (const def of JUPITER_ALARMS) {
    if (def.signal.kind !== 'flag' || !u.alarms.known(def.id)) continue;
    flags[def.id] = u.alarms.isActive(def.id) ? def.signal.alarmFlag : def.signal.clearFlag;
  }
  if (d) for (const [id, f] of Object.entries(d.flags)) if (!(id in flags)) flags[id] = f;
  if (Object.keys(flags).length > 0) reading.flags = flags;
  if (d && Object.keys(d.sensors).length > 0) reading.sensors = d.sensors;
  reading.alarms = u.alarms.active().map((a) => a.id);
  return reading;
}

/**
 * The unit's message, or one message per value (`perValue`, for dashboards: the raise/end events ride on the
 * `alarms` value's message). Takes the unit's pending alarm events.
 */
export function unitMessages(u: UnitState, options: { prefix: string; perValue: boolean }, now: number): NodeMessage | NodeMessage[] {
  const d = u.decoded;
  const quality: Quality = u.contacts.some((c) => c.state === 'comm_error') && !u.target ? 'comm_error' : u.quality;
  const input: EnvelopeInput<Reading> = {
    prefix: options.prefix,
    device: {
      kind: 'jupiter-hvdc',
      name: u.name,
      ...(u.target ? { address: `${u.target.host}:${u.target.port}` } : {}),
      ...(d?.identity.model ? { model: d.identity.model } : {}),
      ...(d?.identity.firmware ? { firmware: d.identity.firmware } : {}),
    },
    reading: unitReading(u),
    quality,
    timestamp: u.readAt || now,
    alarms: u.alarms.active() as DeviceAlarm[],
    units: JUPITER_UNITS,
  };
  const events = u.alarms.takeEvents();
  if (options.perValue) {
    return envelopePerValue(input).map((m) => {
      const out = m as unknown as NodeMessage & { alarmEvents?: AlarmEvent[]; badKeys?: string[] };
      if (events.length > 0 && m.topic.endsWith('/alarms')) out.alarmEvents = events;
      if (d?.badKeys) out.badKeys = d.badKeys;
      return out;
    });
  }
  const msg = envelope(input) as unknown as NodeMessage & { alarmEvents?: AlarmEvent[]; unsupported?: string[]; badKeys?: string[] };
  if (events.length > 0) msg.alarmEvents = events;
  if (d && d.unsupported.length > 0) msg.unsupported = d.unsupported;
  if (d?.badKeys) msg.badKeys = d.badKeys;
  return msg;
}
