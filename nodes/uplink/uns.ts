/**
 * Plain JSON under a unified-namespace topic tree (topics.ts). Readings and alarm states are retained so a
 * subscriber that arrives late sees the last values; the edge state topic is retained with an "offline" will.
 * After every reconnect the last value of each device and each alarm that went out is published again (a broker
 * restarted without persistence has forgotten its retained messages), then what was buffered meanwhile.
 */
import type { UplinkInput } from './input';
import type { Packet, UplinkProfile } from './profile';
import { unsAlarmTopic, unsDeviceTopic, unsStateTopic, UnsScheme } from './topics';

export interface UnsOptions extends UnsScheme {
  /** QoS of readings (alarms and state always use 1) */
  qos: 0 | 1;
  /** retain readings */
  retain: boolean;
  /** also publish each top-level value of a reading on its own topic */
  splitValues: boolean;
  /** most devices and alarms whose last value is kept for republishing (oldest forgotten first) */
  maxRemembered?: number;
}

/** JSON.stringify that cannot throw (circular objects, BigInt from a function node) */
export function safeJson(value: unknown): Buffer | undefined {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? Buffer.from(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A Map that forgets its oldest entry beyond a limit, so memory stays bounded (docs/node-red-notes.md B2 #7). */
class BoundedMap<V> extends Map<string, V> {
  constructor(private readonly limit: number) {
    super();
  }
  remember(key: string, value: V): void {
    this.delete(key); // re-insert at the end: the most recent stays longest
    this.set(key, value);
    if (this.size > this.limit) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
  }
}

export class UnsProfile implements UplinkProfile<Packet> {
  private readonly lastValues: BoundedMap<Packet>;
  /** the last non-empty reading per device, so a stale envelope without values keeps them (marked stale) */
  private readonly lastReadings: BoundedMap<{ values: Record<string, unknown>; units: Record<string, string> }>;
  private readonly options: UnsOptions;

  constructor(options: UnsOptions) {
    this.options = options;
    this.lastValues = new BoundedMap<Packet>(options.maxRemembered ?? 10_000);
    this.lastReadings = new BoundedMap(options.maxRemembered ?? 10_000);
  }

  get stateTopic(): string {
    return unsStateTopic(this.options);
  }

  will(): Packet {
    return { topic: this.stateTopic, payload: Buffer.from(JSON.stringify({ state: 'offline' })), qos: 1, retain: true };
  }

  subscriptions(): string[] {
    return [];
  }

  births(now: number): Packet[] {
    const online: Packet = { topic: this.stateTopic, payload: Buffer.from(JSON.stringify({ state: 'online', timestamp: now })), qos: 1, retain: true };
    return [online, ...this.lastValues.values()];
  }

  accept(input: UplinkInput): Packet[] {
    const o = this.options;
    if (input.type === 'alarm') {
      const payload = safeJson(input.event);
      if (!payload) return [];
      return [{ topic: unsAlarmTopic(o, input.id), payload, qos: 1, retain: true }];
    }
    const packets: Packet[] = [];
    const common = { timestamp: input.timestamp, quality: input.quality };
    if (input.key === undefined) {
      const topic = unsDeviceTopic(o, input.device.kind, input.device.name);
      let values = input.reading;
      let units = input.units;
      if (Object.keys(values).length > 0) this.lastReadings.remember(topic, { values, units });
      else {
        // a stale or comm_error envelope may carry no values: the retained topic keeps the last ones, marked
        const last = this.lastReadings.get(topic);
        if (last) ({ values, units } = last);
      }
      // the JSON tree's identity fields as before: what a node may write is for the Home Assistant mode
      const { writable: _writable, hardware: _hardware, ...device } = input.device;
      const payload = safeJson({ ...common, values, units, device, alarms: input.alarms });
      if (!payload) return [];
      packets.push({ topic, payload, qos: o.qos, retain: o.retain });
    }
    if (input.key !== undefined || o.splitValues) {
      for (const [key, value] of Object.entries(input.reading)) {
        const unit = input.units[key];
        const payload = safeJson(unit === undefined ? { ...common, value } : { ...common, value, unit });
        if (payload) packets.push({ topic: unsDeviceTopic(o, input.device.kind, input.device.name, key), payload, qos: o.qos, retain: o.retain });
      }
    }
    return packets;
  }

  /** Remembers what actually went out: births repeat that, and a backlog flushed after them is newer. */
  render(item: Packet): Packet[] {
    if (item.retain) this.lastValues.remember(item.topic, item);
    return [item];
  }

  disconnected(): void {
    // nothing is tied to one connection in this scheme
  }

  farewell(now: number): Packet[] {
    return [{ topic: this.stateTopic, payload: Buffer.from(JSON.stringify({ state: 'offline', timestamp: now })), qos: 1, retain: true }];
  }

  command(): Packet[] {
    return [];
  }
}
