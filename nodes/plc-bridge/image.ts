/**
 * The PLC bridge's process image: the latest reading and alarm states of each configured device, encoded into
 * registers and bits as the map says. Pure (no sockets, no timers): the node feeds it messages and a clock
 * tick, the Modbus server reads from it. Reads are array copies, so a busy PLC costs no re-encoding.
 */
import type { BankAnswer, RegisterBank } from '../../lib/modbus/server';
import {
  encodeInto,
  MappedDevice,
  QUALITY_CODES,
  QualityCode,
  RegisterEntry,
  RegisterMap,
  valueAt,
  BitEntry,
} from './map';
import { BitTest, KIND_QUALITY_RULES, QualityRule } from './keys';

interface RuleAlarm {
  rule: string;
  index: string;
  active: boolean;
  acknowledged: boolean;
}

interface DeviceState {
  device: MappedDevice;
  registers: RegisterEntry[];
  bits: BitEntry[];
  reading: Record<string, unknown>;
  /** quality the device last sent; undefined until the first message */
  quality: QualityCode | undefined;
  timestamp: number;
  /** local clock at the last message, for the stale time */
  receivedAt: number | undefined;
  messages: number;
  deviceAlarms: Set<string>;
  ruleAlarms: Map<string, RuleAlarm>;
  qualityRules: readonly QualityRule[];
}

/** alarm events kept per device at most (each is one rule x index); beyond, the oldest normal ones go */
const MAX_RULE_ALARMS = 4096;

export type MessageOutcome = 'reading' | 'alarm' | 'ignored';

const QUALITIES: readonly string[] = ['good', 'stale', 'comm_error', 'bad_data'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A flag bit from a reading: off when the word or list is missing or not one (the raw word register says "not reported"). */
function flagOn(value: unknown, test: BitTest): boolean {
  if ('id' in test) return Array.isArray(value) && value.some((x: unknown) => x === test.id || (isRecord(x) && x.id === test.id));
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) return false;
  return 'zero' in test ? value === 0 : (value & test.mask) !== 0;
}

export class BridgeImage {
  readonly registers: Uint16Array;
  readonly bits: Uint8Array;
  private readonly byTopic = new Map<string, DeviceState>();
  private readonly states: DeviceState[] = [];
  private readonly headerEntries: RegisterEntry[];
  private readonly bridgeBits: BitEntry[];
  private heartbeat = 0;
  clients = 0;
  ignored = 0;
  accepted = 0;

  constructor(readonly map: RegisterMap) {
    this.registers = new Uint16Array(map.registerCount);
    this.bits = new Uint8Array(map.bitCount);
    for (const device of map.devices) {
      const state: DeviceState = {
        device,
        registers: map.registers.filter((r) => r.slot === device.slot),
        bits: map.bits.filter((b) => b.slot === device.slot),
        reading: {},
        quality: undefined,
        timestamp: 0,
        receivedAt: undefined,
        messages: 0,
        deviceAlarms: new Set(),
        ruleAlarms: new Map(),
        qualityRules: KIND_QUALITY_RULES[device.kind] ?? [],
      };
      this.states.push(state);
      this.byTopic.set(device.topic, state);
    }
    this.headerEntries = map.registers.filter((r) => r.slot === 0);
    this.bridgeBits = map.bits.filter((b) => b.slot === 0);
    this.tick(Date.now());
  }

  /** the configured device a topic belongs to: itself, or `<device topic>/<key>` in one-message-per-value mode */
  private deviceFor(topic: unknown): { state: DeviceState; key?: string } | undefined {
    if (typeof topic !== 'string') return undefined;
    const exact = this.byTopic.get(topic);
    if (exact) return { state: exact };
    const cut = topic.lastIndexOf('/');
    if (cut <= 0) return undefined;
    const parent = this.byTopic.get(topic.slice(0, cut));
    return parent ? { state: parent, key: topic.slice(cut + 1) } : undefined;
  }

  /** Takes any message: a device envelope (whole or per value) or an alarm-rules output-1 event. */
  update(msg: unknown, now: number): MessageOutcome {
    if (!isRecord(msg)) return this.ignore();
    const payload = msg.payload;
    // alarm-rules output 1: payload { id, rule, topic (the source), index, state, active, acknowledged, ... }
    if (isRecord(payload) && typeof payload.rule === 'string' && typeof payload.active === 'boolean' && typeof payload.state === 'string') {
      const target = this.deviceFor(payload.topic);
      if (!target) return this.ignore();
      this.applyAlarm(target.state, payload);
      this.encodeDevice(target.state, now);
      this.accepted++;
      return 'alarm';
    }
    const target = this.deviceFor(msg.topic);
    if (!target) return this.ignore();
    const s = target.state;
    if (target.key !== undefined) {
      if (payload === undefined || payload === null) return this.ignore();
      s.reading = { ...s.reading, [target.key]: payload };
    } else if (isRecord(payload)) {
      // a comm_error envelope may carry no values: keep the last ones, the quality register tells
      if (Object.keys(payload).length > 0) s.reading = payload;
    } else return this.ignore();
    s.quality = typeof msg.quality === 'string' && QUALITIES.includes(msg.quality) ? (msg.quality as QualityCode) : 'good';
    s.timestamp = typeof msg.timestamp === 'number' && Number.isFinite(msg.timestamp) ? msg.timestamp : now;
    s.receivedAt = now;
    s.messages = (s.messages + 1) & 0xffff;
    if (target.key === undefined && (Array.isArray(msg.alarms) || Array.isArray(s.reading.alarms))) {
      // the envelope's msg.alarms ([{ id, ... }]) and a reading's own `alarms` key (JK: stable ids) alike
      const ids = [...(Array.isArray(msg.alarms) ? msg.alarms : []), ...(Array.isArray(s.reading.alarms) ? s.reading.alarms : [])];
      s.deviceAlarms = new Set(ids.map((a: unknown) => (isRecord(a) ? a.id : a)).filter((id): id is string => typeof id === 'string'));
    }
    this.encodeDevice(s, now);
    this.accepted++;
    return 'reading';
  }

  private ignore(): MessageOutcome {
    this.ignored++;
    return 'ignored';
  }

  private applyAlarm(s: DeviceState, p: Record<string, unknown>): void {
    const id = typeof p.id === 'string' ? p.id : `${String(p.topic)}/${String(p.rule)}/${String(p.index)}`;
    const normal = p.state === 'normal' || p.state === 'out-of-service';
    const alarm: RuleAlarm = {
      rule: p.rule as string,
      index: p.index === null || p.index === undefined ? '' : String(p.index),
      active: p.active === true,
      acknowledged: p.acknowledged !== false || normal,
    };
    s.ruleAlarms.delete(id);
    if (!normal || alarm.active) s.ruleAlarms.set(id, alarm);
    if (s.ruleAlarms.size > MAX_RULE_ALARMS) {
      const oldest = s.ruleAlarms.keys().next().value;
      if (oldest !== undefined) s.ruleAlarms.delete(oldest);
    }
  }

  /** active / unacknowledged of a configured alarm id: rule id (any index), rule/index, or a device alarm id */
  private alarmState(s: DeviceState, id: string): { active: boolean; unacknowledged: boolean } {
    let active = s.deviceAlarms.has(id);
    let unacknowledged = false;
    for (const a of s.ruleAlarms.values()) {
      if (a.rule !== id && `${a.rule}/${a.index}` !== id) continue;
      if (a.active) active = true;
      if (!a.acknowledged) unacknowledged = true;
    }
    return { active, unacknowledged };
  }

  private quality(s: DeviceState, now: number): QualityCode {
    if (s.quality === undefined || s.receivedAt === undefined) return 'no_data';
    if (now - s.receivedAt > s.device.staleTime * 1000) return 'stale';
    if (s.quality === 'good') {
      // device knowledge the sender may not apply (per-value mode, other flows): BACS status 0x0000
      for (const rule of s.qualityRules) if (valueAt(s.reading, rule.path) === rule.equals) return rule.quality;
    }
    return s.quality;
  }

  private put(entry: RegisterEntry, value: unknown): void {
    encodeInto(this.registers, entry.address, value, entry.format, entry.scale, this.map.wordOrder);
  }

  private encodeDevice(s: DeviceState, now: number): void {
    const quality = this.quality(s, now);
    let activeCount = 0;
    let anyActive = false;
    let anyUnack = false;
    for (const b of s.bits) {
      let on = false;
      if (b.source.kind === 'alarm') {
        const st = this.alarmState(s, b.source.id);
        on = st.active;
        if (st.active) activeCount++;
        anyActive ||= st.active;
        anyUnack ||= st.unacknowledged;
      } else if (b.source.kind === 'flag') on = flagOn(valueAt(s.reading, b.source.path), b.source.test);
      if (b.address < this.bits.length) this.bits[b.address] = on ? 1 : 0;
    }
    for (const b of s.bits) {
      if (b.source.kind !== 'device' || b.address >= this.bits.length) continue;
      const on = b.source.field === 'notGood' ? quality !== 'good' : b.source.field === 'anyActive' ? anyActive : anyUnack;
      this.bits[b.address] = on ? 1 : 0;
    }
    for (const r of s.registers) {
      const src = r.source;
      if (src.kind === 'value') this.put(r, valueAt(s.reading, src.path, src.index ?? 0, src.indexBase ?? 0));
      else if (src.kind === 'device') {
        switch (src.field) {
          case 'quality':
            this.put(r, QUALITY_CODES[quality]);
            break;
          case 'age':
            this.put(r, s.receivedAt === undefined ? 0xffff : Math.min(0xffff, Math.floor((now - s.receivedAt) / 1000)));
            break;
          case 'messages':
            this.put(r, s.messages);
            break;
          case 'alarmsActive':
            this.put(r, activeCount);
            break;
          case 'timestamp':
            this.put(r, s.receivedAt === undefined ? 0 : Math.floor(s.timestamp / 1000));
            break;
        }
      }
    }
  }

  /** Once a second: heartbeat, ages, stale quality, bridge summary. */
  tick(now: number, advanceHeartbeat = false): void {
    if (advanceHeartbeat) this.heartbeat = (this.heartbeat + 1) & 0xffff;
    let good = 0;
    for (const s of this.states) {
      this.refreshDeviceHeader(s, now);
      if (this.quality(s, now) === 'good') good++;
    }
    for (const r of this.headerEntries) {
      if (r.source.kind !== 'header') continue;
      const f = r.source.field;
      const v =
        f === 'layout' ? this.map.layout
        : f === 'blockSize' ? this.map.blockSize
        : f === 'heartbeat' ? this.heartbeat
        : f === 'devices' ? this.states.length
        : f === 'devicesGood' ? good
        : f === 'clients' ? this.clients
        : f === 'time' ? Math.floor(now / 1000)
        : f === 'wordOrder' ? (this.map.wordOrder === 'high-first' ? 0 : 1)
        : this.map.devices.reduce((m, d) => Math.max(m, d.slot), 0);
      this.put(r, v);
    }
    for (const b of this.bridgeBits) {
      if (b.source.kind !== 'bridge') continue;
      const field = b.source.field;
      const deviceField = field === 'anyNotGood' ? 'notGood' : field;
      const on = this.states.some((s) => s.bits.some((x) => x.source.kind === 'device' && x.source.field === deviceField && this.bits[x.address] === 1));
      this.bits[b.address] = on ? 1 : 0;
    }
  }

  /** quality, age and the not-good bit change with time alone */
  private refreshDeviceHeader(s: DeviceState, now: number): void {
    const quality = this.quality(s, now);
    for (const r of s.registers) {
      if (r.source.kind !== 'device') continue;
      if (r.source.field === 'quality') this.put(r, QUALITY_CODES[quality]);
      else if (r.source.field === 'age') this.put(r, s.receivedAt === undefined ? 0xffff : Math.min(0xffff, Math.floor((now - s.receivedAt) / 1000)));
    }
    for (const b of s.bits) if (b.source.kind === 'device' && b.source.field === 'notGood') this.bits[b.address] = quality !== 'good' ? 1 : 0;
  }

  /**
   * A PLC writing ON to an alarm's coil acknowledges it: returns the alarm-rules ids (payload.id) to acknowledge,
   * those tracked for that configured alarm and still unacknowledged. OFF is accepted and does nothing. A coil
   * that is no alarm bit is an illegal data address (exception 02) and nothing of the write is taken.
   */
  acknowledge(address: number, values: boolean[]): { exception: number } | { ids: string[] } {
    const targets: Array<{ s: DeviceState; id: string } | null> = [];
    for (let i = 0; i < values.length; i++) {
      let found: { s: DeviceState; id: string } | undefined;
      for (const s of this.states) {
        const b = s.bits.find((x) => x.address === address + i);
        if (b && b.source.kind === 'alarm') found = { s, id: b.source.id };
      }
      if (!found) return { exception: 2 };
      targets.push(values[i] ? found : null);
    }
    const ids: string[] = [];
    for (const target of targets) {
      if (!target) continue;
      for (const [eventId, a] of target.s.ruleAlarms) {
        if ((a.rule === target.id || `${a.rule}/${a.index}` === target.id) && !a.acknowledged && !ids.includes(eventId)) ids.push(eventId);
      }
    }
    return { ids };
  }

  /** devices whose data is good now, of all configured */
  freshness(now: number): { good: number; total: number } {
    return { good: this.states.filter((s) => this.quality(s, now) === 'good').length, total: this.states.length };
  }

  /** The register bank the Modbus server reads: input and holding registers mirror, coils and inputs mirror. */
  bank(): RegisterBank {
    return {
      readRegisters: (_fc, address, count): BankAnswer<number> => {
        if (address + count > this.registers.length) return { exception: 2 };
        return Array.from(this.registers.subarray(address, address + count));
      },
      readBits: (_fc, address, count): BankAnswer<boolean> => {
        if (address + count > this.bits.length) return { exception: 2 };
        return Array.from(this.bits.subarray(address, address + count), (b) => b === 1);
      },
    };
  }
}
