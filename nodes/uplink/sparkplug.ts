/**
 * Sparkplug B 3.0 edge node, pure: it keeps the metric model of the edge node and its devices and turns inputs
 * into NBIRTH / DBIRTH / NDATA / DDATA / DDEATH payloads (encoded with Eclipse Tahu's `sparkplug-payload`).
 * The rules it follows:
 * - the NDEATH is the MQTT will (QoS 1, not retained) and carries the bdSeq of that CONNECT; bdSeq counts CONNECT
 *   packets 0..255 and the NBIRTH after the CONNECT repeats it;
 * - NBIRTH has seq 0; every later NBIRTH/DBIRTH/NDATA/DDATA/DDEATH increments seq, wrapping 255 -> 0;
 * - the NBIRTH's `bdSeq` and `Node Control/Rebirth` carry no alias (a host must never address the rebirth control
 *   by an alias); device metrics have aliases unique across the edge node;
 * - a DBIRTH lists every metric of the device with its name, alias, datatype and current value (`is_null` when
 *   the value is no longer reported), oldest first; DDATA carries only the metrics that changed, by alias only and
 *   without datatype; a new metric or a changed datatype ends the device's session: DDEATH, then a new DBIRTH
 *   (a DBIRTH lists every metric the device publishes until its death, and a host sees one DBIRTH per life);
 * - a value that the message stream which reported it (`msg.topic`) no longer carries turns null: DDATA with
 *   `is_null`, and `is_null` in every birth until it is reported again;
 * - metric names within a device, and device ids within the edge node, that differ only in case are refused (a
 *   case-insensitive host would merge them), with a warning;
 * - a device whose envelope turns `stale` or `comm_error` gets a DDEATH and a fresh DBIRTH when it recovers;
 * - NCMD `Node Control/Rebirth` = true re-sends the NBIRTH (same bdSeq) and every DBIRTH;
 * - values buffered while disconnected go out after the births as DDATA flagged historical, so a host never
 *   lets them overwrite the live values the births just carried;
 * - with a primary host application configured, births wait for its STATE `online` on each connection, and its
 *   `offline` ends the session with the NDEATH (host-state.ts); values accepted while the host is known offline
 *   are not buffered: the model keeps the latest value of each metric and the next DBIRTH carries it.
 */
import * as sparkplugPayload from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import * as tahu from 'sparkplug-payload/lib/sparkplugPayloadProto';
import { entryAt, scalarTypeOf, type DeviceSchema } from '../../lib/schema';
import { schemaOfKind } from '../device-schemas';
import type { AlarmInput, ReadingInput, UplinkInput } from './input';
import { HostStateForm, hostStateTopic, parseHostState, PrimaryHostTracker } from './host-state';
import type { Packet, SessionSignal, UplinkProfile } from './profile';
import { sparkplugDeviceTopic, sparkplugNodeTopic, SparkplugIds, topicLevel } from './topics';

const codec = sparkplugPayload.get('spBv1.0');
/** the generated protobuf classes under the codec: DDATA without datatypes, and reading NCMD as sent */
const proto = tahu.org.eclipse.tahu.protobuf;
type RawMetric = tahu.org.eclipse.tahu.protobuf.Payload.IMetric;

export type Scalar = number | boolean | string;
export type MetricType = 'Double' | 'Boolean' | 'String';

export interface FlatMetric {
  name: string;
  type: MetricType;
  value: Scalar;
  unit?: string;
}

export const REBIRTH_METRIC = 'Node Control/Rebirth';
/** the first alias of a device metric (the node's own metrics have none) */
const FIRST_ALIAS = 1;
const MAX_DEPTH = 8;
const MAX_METRICS_PER_DEVICE = 20_000;
const MAX_DEVICES = 2_000;

export function encodeSparkplug(payload: UPayload): Buffer | undefined {
  if (!codec) return undefined;
  try {
    return Buffer.from(codec.encodePayload(payload));
  } catch {
    return undefined;
  }
}

/**
 * The payload as sparkplug-payload decodes it, except that a metric without datatype (DDATA, NCMD) gets its value
 * from whichever value field is present: the codec needs the datatype to find it and would say null.
 */
export function decodeSparkplug(bytes: Uint8Array): UPayload | undefined {
  if (!codec) return undefined;
  try {
    const decoded = codec.decodePayload(bytes);
    const raw = proto.Payload.decode(bytes).metrics;
    (decoded.metrics ?? []).forEach((m, i) => {
      const r = raw[i];
      if (r && !has(r, 'datatype') && !(has(r, 'isNull') && r.isNull === true)) m.value = rawValue(r);
    });
    return decoded;
  } catch {
    return undefined;
  }
}

function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

/** the value field present in a decoded protobuf metric (proto2: present means sent) */
function rawValue(m: RawMetric): UMetric['value'] {
  for (const field of ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'bytesValue'] as const) {
    if (has(m, field)) return m[field] as UMetric['value'];
  }
  return null;
}

/** Long (protobuf 64-bit) or number to number */
export function longToNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { toNumber?: unknown }).toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  return NaN;
}

/** the Sparkplug datatype of each scalar type a reading holds */
const METRIC_TYPES: { readonly [scalar in 'number' | 'boolean' | 'string']: MetricType } = { number: 'Double', boolean: 'Boolean', string: 'String' };

function scalarTypeOfValue(value: unknown): 'number' | 'boolean' | 'string' | undefined {
  const t = typeof value;
  return t === 'number' || t === 'boolean' || t === 'string' ? t : undefined;
}

/**
 * A scalar as a metric. `declared` is the type the device's schema gives the value: a value of another type is left
 * out, so a known metric's datatype never changes (which would end the device's session: DDEATH and a new DBIRTH).
 */
function scalarMetric(name: string, value: unknown, unit: string | undefined, declared?: 'number' | 'boolean' | 'string'): FlatMetric | undefined {
  const actual = scalarTypeOfValue(value);
  if (actual === undefined || (declared !== undefined && declared !== actual)) return undefined;
  if (actual === 'number' && !Number.isFinite(value)) return undefined;
  return { name, type: METRIC_TYPES[actual], value: value as Scalar, unit };
}

/**
 * A reading as Sparkplug metrics: nested objects and arrays become folder paths (`cellVoltages/3`,
 * `strings/0/current`); an array of strings (alarm ids) becomes one comma-separated String metric, so a
 * changing list does not force a new DBIRTH each time. The unit of a top-level key applies to its children.
 * With the schema of the message's device, each value has the datatype the schema gives it (lib/schema.ts); keys
 * the schema does not know (a profile's own keys, one BACS module's message) take theirs from the value.
 */
export function flattenReading(reading: Record<string, unknown>, units: Record<string, string> = {}, schema?: DeviceSchema): FlatMetric[] {
  const out: FlatMetric[] = [];
  const walk = (name: string, steps: Array<string | number>, value: unknown, unit: string | undefined, depth: number): void => {
    if (out.length >= MAX_METRICS_PER_DEVICE || depth > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      if (value.length > 0 && value.every((v) => typeof v === 'string')) {
        out.push({ name, type: 'String', value: value.join(','), unit });
        return;
      }
      value.forEach((v, i) => walk(`${name}/${i}`, [...steps, i], v, unit, depth + 1));
      return;
    }
    if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(`${name}/${k}`, [...steps, k], v, unit, depth + 1);
      return;
    }
    const entry = schema ? entryAt(schema, steps) : undefined;
    const metric = scalarMetric(name, value, unit, entry ? scalarTypeOf(entry) : undefined);
    if (metric) out.push(metric);
  };
  for (const [key, value] of Object.entries(reading)) walk(key, [key], value, units[key], 0);
  return out;
}

/** The envelope's identity, quality and device alarms as metrics under `Device/`. */
export function deviceMetrics(input: ReadingInput): FlatMetric[] {
  const out: FlatMetric[] = [
    { name: 'Device/Kind', type: 'String', value: input.device.kind },
    { name: 'Device/Quality', type: 'String', value: input.quality },
    { name: 'Device/Alarms', type: 'String', value: input.alarms.map((a) => a.id).join(',') },
    { name: 'Device/Alarm Count', type: 'Double', value: input.alarms.length },
  ];
  if (input.device.address !== undefined) out.push({ name: 'Device/Address', type: 'String', value: input.device.address });
  if (input.device.model !== undefined) out.push({ name: 'Device/Model', type: 'String', value: input.device.model });
  if (input.device.firmware !== undefined) out.push({ name: 'Device/Firmware', type: 'String', value: input.device.firmware });
  if (input.device.serial !== undefined) out.push({ name: 'Device/Serial', type: 'String', value: input.device.serial });
  return out;
}

/** An alarm-rules state change as metrics of the alarms device: `<alarm id>/State`, `/Active`, ... */
export function alarmMetrics(input: AlarmInput): FlatMetric[] {
  const e = input.event;
  const id = input.id;
  const out: FlatMetric[] = [];
  const add = (field: string, value: unknown): void => {
    const metric = scalarMetric(`${id}/${field}`, value, undefined);
    if (metric) out.push(metric);
  };
  add('State', e.state);
  add('Active', e.active);
  add('Acknowledged', e.acknowledged);
  add('Severity', e.severity);
  add('Value', e.value);
  add('Text', e.text);
  add('Rule', e.rule);
  add('Topic', e.topic);
  return out;
}

interface MetricState {
  name: string;
  alias: number;
  type: MetricType;
  /** null: no longer reported (sent as `is_null`) */
  value: Scalar | null;
  timestamp: number;
  unit?: string;
  /** the message stream that last reported it (`msg.topic`, or the alarm id) */
  source: string;
}

interface DeviceState {
  id: string;
  metrics: Map<string, MetricState>;
  /** lower-case name -> name, to refuse names a case-insensitive host would merge */
  lowerNames: Map<string, string>;
  /** names refused for their case, each warned about once */
  refused: Set<string>;
  /** has good or bad_data values (not stale / comm_error) */
  alive: boolean;
  /** a DBIRTH went out on the current connection and no DDEATH since */
  born: boolean;
  /** counts changes of the metric set (a new metric, a changed datatype) */
  shape: number;
  /** `shape` when the current DBIRTH went out */
  bornShape: number;
}

export interface ChangedMetric {
  name: string;
  type: MetricType;
  value: Scalar | null;
  timestamp: number;
}

export type SparkplugItem =
  | { kind: 'dbirth'; device: string }
  | { kind: 'ddata'; device: string; metrics: ChangedMetric[] }
  | { kind: 'ddeath'; device: string };

/** Something the profile refused, for the node to tell the user once. */
export type SparkplugWarning =
  /** `name` differs only in case from the device's metric `existing` */
  | { kind: 'metricCase'; device: string; name: string; existing: string }
  /** device id `device` differs only in case from the edge node's device `existing` */
  | { kind: 'deviceCase'; device: string; existing: string };

export interface SparkplugOptions extends SparkplugIds {
  /** the device id under which alarm-rules events are published */
  alarmsDevice: string;
  /** the bdSeq of the previous CONNECT of this edge node (a redeploy continues counting from it) */
  previousBdSeq?: number;
  /** the primary host application whose STATE gates the births; none: births right after each CONNECT */
  primaryHost?: { id: string; form: HostStateForm };
  /** called with the bdSeq of each CONNECT's will, before the CONNECT goes out (to persist it) */
  onBdSeq?(bdSeq: number): void;
  /** called once per refused metric name or device id */
  onWarning?(warning: SparkplugWarning): void;
}

function validBdSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255;
}

export class SparkplugProfile implements UplinkProfile<SparkplugItem> {
  private bdSeq = -1;
  private seq = 0;
  private nextAlias = FIRST_ALIAS;
  private nodeBorn = false;
  private readonly devices = new Map<string, DeviceState>();
  /** lower-case device id -> device id; and the ids refused for their case */
  private readonly lowerDevices = new Map<string, string>();
  private readonly refusedDevices = new Set<string>();
  private connects = 0;
  private readonly host: { topic: string; form: HostStateForm; tracker: PrimaryHostTracker } | undefined;
  /** inputs ignored because a device or metric limit was reached */
  ignored = 0;

  constructor(private readonly options: SparkplugOptions) {
    if (validBdSeq(options.previousBdSeq)) this.bdSeq = options.previousBdSeq;
    const host = options.primaryHost;
    if (host && host.id.trim() !== '') this.host = { topic: hostStateTopic(host.id.trim(), host.form), form: host.form, tracker: new PrimaryHostTracker() };
  }

  get currentBdSeq(): number {
    return this.bdSeq;
  }

  /**
   * The bdSeq persisted by an earlier run of Node-RED, read before the first CONNECT; ignored once a CONNECT went
   * out (its will already carries a bdSeq) or when not a bdSeq.
   */
  resumeBdSeq(previous: unknown): boolean {
    if (this.connects > 0 || !validBdSeq(previous)) return false;
    this.bdSeq = previous;
    return true;
  }

  /** the primary host's STATE topic, when one is configured */
  get hostTopic(): string | undefined {
    return this.host?.topic;
  }

  /** the last known state of the primary host (`unknown` until its first STATE), undefined without one */
  get hostState(): 'unknown' | 'online' | 'offline' | undefined {
    return this.host?.tracker.state;
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }

  private nodeTopic(type: 'NBIRTH' | 'NDEATH' | 'NCMD'): string {
    return sparkplugNodeTopic(this.options, type);
  }

  private packet(topic: string, payload: UPayload): Packet[] {
    const bytes = encodeSparkplug(payload);
    return bytes ? [{ topic, payload: bytes, qos: 0, retain: false }] : [];
  }

  private ndeathPayload(now: number): UPayload {
    return { timestamp: now, metrics: [{ name: 'bdSeq', type: 'Int64', value: this.bdSeq, timestamp: now }] };
  }

  will(now: number): Packet {
    this.bdSeq = (this.bdSeq + 1) % 256;
    this.connects++;
    this.options.onBdSeq?.(this.bdSeq);
    const bytes = encodeSparkplug(this.ndeathPayload(now)) ?? Buffer.alloc(0);
    return { topic: this.nodeTopic('NDEATH'), payload: bytes, qos: 1, retain: false };
  }

  /** MQTT 5: the DISCONNECT asks the broker to send the NDEATH will as well, so every host hears of it */
  disconnectWithWill(): boolean {
    return true;
  }

  subscriptions(): string[] {
    return this.host ? [this.nodeTopic('NCMD'), this.host.topic] : [this.nodeTopic('NCMD')];
  }

  holdsBirths(): boolean {
    return this.host !== undefined;
  }

  buffering(): boolean {
    return this.host?.tracker.state !== 'offline';
  }

  session(topic: string, payload: Buffer): SessionSignal | undefined {
    const host = this.host;
    if (!host || topic !== host.topic) return undefined;
    const parsed = parseHostState(payload, host.form);
    if (!parsed.ok) return { action: 'ignore', error: parsed.error.message };
    switch (host.tracker.apply(parsed.value)) {
      case 'online':
        return { action: 'announce' };
      case 'offline':
        return { action: this.nodeBorn ? 'end' : 'hold' };
      case 'ignored':
        return { action: 'ignore' };
    }
  }

  births(now: number): Packet[] {
    this.seq = 0;
    const nbirth: UPayload = {
      timestamp: now,
      seq: this.nextSeq(),
      metrics: [
        { name: 'bdSeq', type: 'Int64', value: this.bdSeq, timestamp: now },
        { name: REBIRTH_METRIC, type: 'Boolean', value: false, timestamp: now },
      ],
    };
    const out = this.packet(this.nodeTopic('NBIRTH'), nbirth);
    this.nodeBorn = true;
    for (const device of this.devices.values()) {
      device.born = false;
      if (device.alive) out.push(...this.dbirth(device, now));
    }
    return out;
  }

  private dbirth(device: DeviceState, now: number): Packet[] {
    const metrics: UMetric[] = [];
    // oldest first: a birth keeps its (non-historical) values in chronological order
    const ordered = [...device.metrics.values()].sort((a, b) => a.timestamp - b.timestamp);
    for (const m of ordered) {
      // a null value becomes is_null and no value field (sparkplug-payload does that for null)
      const metric: UMetric = { name: m.name, alias: m.alias, type: m.type, value: m.value, timestamp: m.timestamp };
      if (m.unit) metric.properties = { engUnit: { type: 'String', value: m.unit } };
      metrics.push(metric);
    }
    device.born = true;
    device.bornShape = device.shape;
    return this.packet(sparkplugDeviceTopic(this.options, 'DBIRTH', device.id), { timestamp: now, seq: this.nextSeq(), metrics });
  }

  accept(input: UplinkInput, online: boolean): SparkplugItem[] {
    if (input.type === 'alarm') {
      // each alarm is its own message stream; the NUL keeps it apart from any msg.topic
      return this.update(topicLevel(this.options.alarmsDevice), alarmMetrics(input), `\u0000alarm:${input.id}`, input.timestamp, online);
    }
    const id = topicLevel(input.device.name);
    if (input.quality === 'stale' || input.quality === 'comm_error') {
      const device = this.devices.get(id);
      if (!device || !device.alive) return [];
      device.alive = false;
      const quality = device.metrics.get('Device/Quality');
      if (quality) quality.value = input.quality;
      if (online && device.born) return [{ kind: 'ddeath', device: id }];
      device.born = false;
      return [];
    }
    return this.update(id, [...flattenReading(input.reading, input.units, schemaOfKind(input.device.kind)), ...deviceMetrics(input)], input.source, input.timestamp, online);
  }

  /** The device, created on first sight; undefined when refused (limit, or an id differing only in case). */
  private device(id: string): DeviceState | undefined {
    const known = this.devices.get(id);
    if (known) return known;
    if (this.devices.size >= MAX_DEVICES) {
      this.ignored++;
      return undefined;
    }
    const lower = id.toLowerCase();
    const existing = this.lowerDevices.get(lower);
    if (existing !== undefined) {
      this.ignored++;
      if (!this.refusedDevices.has(id)) {
        this.refusedDevices.add(id);
        this.options.onWarning?.({ kind: 'deviceCase', device: id, existing });
      }
      return undefined;
    }
    const device: DeviceState = { id, metrics: new Map(), lowerNames: new Map(), refused: new Set(), alive: false, born: false, shape: 0, bornShape: 0 };
    this.devices.set(id, device);
    this.lowerDevices.set(lower, id);
    return device;
  }

  private update(id: string, flat: FlatMetric[], source: string, timestamp: number, online: boolean): SparkplugItem[] {
    const device = this.device(id);
    if (!device) return [];
    let structural = false;
    const changed: ChangedMetric[] = [];
    const reported = new Set<string>();
    for (const m of flat) {
      const known = device.metrics.get(m.name);
      if (!known) {
        if (device.refused.has(m.name)) {
          this.ignored++;
          continue;
        }
        if (device.metrics.size >= MAX_METRICS_PER_DEVICE) {
          this.ignored++;
          continue;
        }
        const lower = m.name.toLowerCase();
        const existing = device.lowerNames.get(lower);
        if (existing !== undefined) {
          this.ignored++;
          device.refused.add(m.name);
          this.options.onWarning?.({ kind: 'metricCase', device: device.id, name: m.name, existing });
          continue;
        }
        device.lowerNames.set(lower, m.name);
        device.metrics.set(m.name, { name: m.name, alias: this.nextAlias++, type: m.type, value: m.value, timestamp, unit: m.unit, source });
        reported.add(m.name);
        structural = true;
        continue;
      }
      reported.add(m.name);
      if (known.type !== m.type) structural = true;
      else if (known.value !== m.value) changed.push({ name: m.name, type: m.type, value: m.value, timestamp });
      known.type = m.type;
      known.value = m.value;
      known.timestamp = timestamp;
      known.source = source;
      if (m.unit) known.unit = m.unit;
    }
    // what this message stream reported before and no longer does is not current any more
    for (const known of device.metrics.values()) {
      if (known.source !== source || known.value === null || reported.has(known.name)) continue;
      known.value = null;
      known.timestamp = timestamp;
      changed.push({ name: known.name, type: known.type, value: null, timestamp });
    }
    device.alive = true;
    if (structural) device.shape++;
    if (online && (!device.born || structural)) return [{ kind: 'dbirth', device: id }];
    return changed.length > 0 ? [{ kind: 'ddata', device: id, metrics: changed }] : [];
  }

  render(item: SparkplugItem, replay: boolean, now: number): Packet[] {
    if (!this.nodeBorn) return [];
    const device = this.devices.get(item.device);
    if (!device) return [];
    switch (item.kind) {
      case 'dbirth':
        if (!device.alive) return [];
        // already born with this metric set (a second birth request queued behind the first)
        if (device.born && device.bornShape === device.shape) return [];
        // a new metric set: end the device's life first, so it never has two DBIRTHs in one
        return device.born ? [...this.ddeath(device, now), ...this.dbirth(device, now)] : this.dbirth(device, now);
      case 'ddeath':
        return this.ddeath(device, now);
      case 'ddata': {
        // DDATA only after a DBIRTH on this connection (a host drops data of a device it has not seen born)
        if (!device.born) return [];
        const metrics: RawMetric[] = [];
        for (const m of item.metrics) {
          const known = device.metrics.get(m.name);
          if (!known || known.type !== m.type) continue;
          // the latest of the buffered values went out in the DBIRTH already, with the same timestamp
          if (replay && known.value === m.value && known.timestamp === m.timestamp) continue;
          metrics.push(dataMetric(known.alias, m, replay));
        }
        if (metrics.length === 0) return [];
        const bytes = encodeData(now, this.nextSeq(), metrics);
        return bytes ? [{ topic: sparkplugDeviceTopic(this.options, 'DDATA', device.id), payload: bytes, qos: 0, retain: false }] : [];
      }
    }
  }

  private ddeath(device: DeviceState, now: number): Packet[] {
    if (!device.born) return [];
    device.born = false;
    return this.packet(sparkplugDeviceTopic(this.options, 'DDEATH', device.id), { timestamp: now, seq: this.nextSeq() });
  }

  disconnected(): void {
    this.nodeBorn = false;
    for (const device of this.devices.values()) device.born = false;
  }

  farewell(now: number): Packet[] {
    this.nodeBorn = false;
    const bytes = encodeSparkplug(this.ndeathPayload(now));
    return bytes ? [{ topic: this.nodeTopic('NDEATH'), payload: bytes, qos: 1, retain: false }] : [];
  }

  command(topic: string, payload: Buffer, now: number): Packet[] {
    if (topic !== this.nodeTopic('NCMD')) return [];
    return isRebirthRequest(payload) ? this.births(now) : [];
  }
}

/**
 * NCMD `Node Control/Rebirth` = true, by name (the NBIRTH gives it no alias), read from the protobuf fields
 * themselves: a host may leave the datatype out of an NCMD, as the specification recommends.
 */
export function isRebirthRequest(payload: Uint8Array): boolean {
  let metrics: RawMetric[];
  try {
    metrics = proto.Payload.decode(payload).metrics;
  } catch {
    return false;
  }
  return metrics.some((m) => m.name === REBIRTH_METRIC && has(m, 'booleanValue') && m.booleanValue === true && m.isNull !== true);
}

/** A DDATA metric: alias, timestamp and value (or is_null), no name and no datatype (the DBIRTH has them). */
function dataMetric(alias: number, m: ChangedMetric, historical: boolean): RawMetric {
  const metric: RawMetric = { alias, timestamp: m.timestamp };
  if (m.value === null) metric.isNull = true;
  else if (m.type === 'Double') metric.doubleValue = m.value as number;
  else if (m.type === 'Boolean') metric.booleanValue = m.value as boolean;
  else metric.stringValue = m.value as string;
  if (historical) metric.isHistorical = true;
  return metric;
}

function encodeData(timestamp: number, seq: number, metrics: RawMetric[]): Buffer | undefined {
  try {
    return Buffer.from(proto.Payload.encode(proto.Payload.create({ timestamp, seq, metrics: metrics.map((m) => proto.Payload.Metric.create(m)) })).finish());
  } catch {
    return undefined;
  }
}
