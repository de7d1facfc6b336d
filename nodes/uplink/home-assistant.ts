/**
 * Home Assistant MQTT discovery, pure (no MQTT, no Node-RED): every device of the envelopes becomes a Home
 * Assistant device with one entity per reading key, its alarms become problem binary sensors, the JK switches the
 * jk-bms node lets write become switches. Following https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery:
 *
 *   <prefix>/<component>/dcpower_<edge>/<device>_<key>/config   discovery, retained, QoS 1; empty = removed
 *   dcpower/<edge>/bridge/availability                         online / offline (the will), retained
 *   dcpower/<edge>/<device>/availability                       online / offline from msg.quality, retained
 *   dcpower/<edge>/<device>/state                              every current value of the device, JSON, retained
 *   dcpower/<edge>/<device>/alarm/<alarm>                      one alarm: { active, severity, state, ... }, retained
 *   dcpower/<edge>/<device>/set/<key>                          switch commands from Home Assistant (ON / OFF)
 *
 * Entities read the device's state topic through `value_template`s
 * (https://www.home-assistant.io/integrations/sensor.mqtt/, binary_sensor.mqtt/, switch.mqtt/) and are available
 * only while both this Node-RED (bridge) and the device are (`availability_mode: all`). When Home Assistant
 * publishes its birth message (`<prefix>/status` = `online`, https://www.home-assistant.io/integrations/mqtt/#birth-and-last-will-messages)
 * every config and state is published again. A config this node published earlier (this run or one before, as
 * the node's context remembers) whose device or key has been gone for `forgetAfterMs` is removed with an empty
 * retained message, so Home Assistant keeps no ghost entities.
 */
import { ENERGY_SOURCES, batteryPower, EnergyTotals, integrate, restoreTotals } from './ha-energy';
import { HaKeyInfo, HaKeyLookup, schemaKeyLookup } from './ha-keys';
import type { AlarmInput, DeviceInfo, ReadingInput, UplinkInput } from './input';
import type { Packet, UplinkProfile } from './profile';
import { safeJson } from './uns';

export const HA_ORIGIN = { name: '@dcpower/node-red-nodes', support_url: 'https://github.com/dcpower/node-red-nodes' };

/** JK switches the jk-bms node can write (its allow-list, nodes/jk-bms/client.ts WRITABLE), as their reading key */
export const HA_SWITCH_KEYS: readonly string[] = ['chargeEnabled', 'dischargeEnabled', 'balancerEnabled'];

/** Home Assistant truncates nothing: a state longer than 255 characters is refused, so text values are cut. */
const MAX_STATE_TEXT = 255;
/** one device's entities at most (a BACS with 512 modules has about 4,100) */
const MAX_ENTITIES_PER_DEVICE = 8_000;
const MAX_DEPTH = 6;
/** Home Assistant's retained birth can come right after ours: do not send the whole set twice within this */
const BIRTH_DEBOUNCE_MS = 1_000;

/** a message part's topic level (bacs `.../string/2`, `.../module/21`) -> the reading path it stands for */
const PART_PREFIX: { [level: string]: string } = { string: 'strings', module: 'modules' };

/** manufacturer per device kind, for the device registry */
const MANUFACTURERS: { [kind: string]: string } = {
  'jk-bms': 'JK BMS (Jikong)',
  'jk-balancer': 'JK BMS (Jikong)',
  bacs: 'GENEREX',
  'jupiter-hvdc': 'Jupiter',
};

export type HaComponent = 'sensor' | 'binary_sensor' | 'switch';
type EntityRole = 'key' | 'switch' | 'energy' | 'alarm' | 'bridge';

/** What the node remembers in its context about each config topic it published, to remove it later. */
export interface PublishedEntry {
  /** device slug */
  d: string;
  /** message stream (msg.topic) that carried the key, for keys */
  s?: string;
  r: EntityRole;
}
export type PublishedRecord = { [configTopic: string]: PublishedEntry };

export interface HaSwitchCommand {
  /** device slug (carried through the jk-bms reply as `msg.haDevice`) */
  device: string;
  kind: string;
  name: string;
  /** msg.topic of the device's readings */
  source: string;
  key: string;
  value: boolean;
  address?: number | string;
}

export interface HaOptions {
  /** discovery prefix, `homeassistant` unless Home Assistant was set up otherwise */
  prefix: string;
  /** this Node-RED's id: the bridge device, part of every unique id */
  edge: string;
  lookup?: HaKeyLookup;
  /** a device silent, or a key left out of its stream's values, longer than this is removed from Home Assistant */
  forgetAfterMs: number;
  /** when the node started (entries of an earlier run count as seen then) */
  startedAt: number;
  previous?: PublishedRecord;
  /** energy totals of an earlier run, per device slug */
  energy?: { [device: string]: unknown };
  onCommand?(command: HaSwitchCommand): void;
  /** a command Home Assistant sent that is not passed on */
  onRefused?(device: string, key: string, reason: 'unknownDevice' | 'notWritable' | 'badPayload'): void;
}

interface Entry extends PublishedEntry {
  component: HaComponent;
  lastSeen: number;
  /** undefined: known from an earlier run, not published in this one */
  payload?: Buffer;
}

interface Leaf {
  path: string[];
  slug: string;
  value: number | boolean | string;
  unit?: string;
}

interface DeviceState {
  slug: string;
  kind: string;
  info: DeviceInfo;
  source: string;
  /** identity as JSON: when it changes every config of the device is published again */
  identity: string;
  values: Map<string, number | boolean | string>;
  /** when each stream last carried values */
  valuesAt: Map<string, number>;
  lastSeen: number;
  available?: boolean;
  alarmsBySource: Map<string, Map<string, { text?: string; severity?: string; since?: number }>>;
  activeAlarms: Map<string, { text?: string; severity?: string; since?: number }>;
  writable: Set<string>;
  /** key slug -> reading key of its switch */
  switches: Map<string, string>;
  energy?: EnergyTotals;
  entities: number;
  /** what each leaf became (lookup, component): a steady poll repeats the same leaves, so this is done once */
  plans: Map<string, LeafPlan | null>;
  /** the device entry and availability of its configs, built once per identity */
  common?: { device: Record<string, unknown>; availability: Array<{ topic: string }> };
}

interface LeafPlan {
  component: HaComponent;
  role: EntityRole;
  info: HaKeyInfo;
}

/** slugs are asked for again and again with the same few thousand paths */
const slugCache = new Map<string, string>();
const SLUG_CACHE_LIMIT = 200_000;

/** `jk-bms`, `Pack 1` -> `jk_bms`, `pack_1`; camelCase keys become snake_case. */
export function haSlug(text: string): string {
  const cached = slugCache.get(text);
  if (cached !== undefined) return cached;
  if (slugCache.size >= SLUG_CACHE_LIMIT) slugCache.clear();
  const slug = slugOf(text);
  slugCache.set(text, slug);
  return slug;
}

function slugOf(text: string): string {
  const s = String(text)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return s.length > 0 ? s : '_';
}

export class HomeAssistantProfile implements UplinkProfile<Packet> {
  readonly base: string;
  readonly nodeId: string;
  readonly bridgeAvailability: string;
  readonly statusTopic: string;
  private readonly lookup: HaKeyLookup;
  private readonly devices = new Map<string, DeviceState>();
  /** msg.topic -> device slug, so an alarm-rules event finds its device */
  private readonly sources = new Map<string, string>();
  private readonly entries = new Map<string, Entry>();
  /** the last retained state packets (availability, state, alarms), published again after every birth */
  private readonly states = new Map<string, Packet>();
  private readonly energyRestored: { [device: string]: unknown } = {};
  /** config and state topics cleared while offline: the next births clear them */
  private readonly removed = new Set<string>();
  private lastBirthAt = -Infinity;
  /** the published set changed since the last `takeRecord` */
  private recordDirty = false;
  private energyDirty = false;

  constructor(private readonly options: HaOptions) {
    const edge = haSlug(options.edge);
    this.base = `dcpower/${edge}`;
    this.nodeId = `dcpower_${edge}`;
    this.bridgeAvailability = `${this.base}/bridge/availability`;
    this.statusTopic = `${options.prefix}/status`;
    this.lookup = options.lookup ?? schemaKeyLookup;
    this.restore(options.previous, options.energy);
  }

  /**
   * What an earlier run left in the node's context: the configs it published (removed later unless their device
   * and key come back) and the energy totals (added to whatever was integrated since this run started).
   */
  restore(previous: unknown, energy: unknown): void {
    if (typeof previous === 'object' && previous !== null) {
      for (const [topic, e] of Object.entries(previous as Record<string, unknown>)) {
        if (!isEntry(e) || !topic.startsWith(`${this.options.prefix}/`) || this.entries.has(topic)) continue;
        const component = topic.split('/')[1] as HaComponent;
        this.entries.set(topic, { d: e.d, s: e.s, r: e.r, component, lastSeen: this.options.startedAt });
      }
    }
    if (typeof energy === 'object' && energy !== null) {
      for (const [slug, value] of Object.entries(energy as Record<string, unknown>)) {
        const totals = restoreTotals(value);
        const device = this.devices.get(slug);
        if (device?.energy) {
          device.energy.chargedKwh += totals.chargedKwh;
          device.energy.dischargedKwh += totals.dischargedKwh;
          this.energyDirty = true;
        } else this.energyRestored[slug] = totals;
      }
    }
  }

  // ---- topics

  configTopic(component: HaComponent, objectId: string): string {
    return `${this.options.prefix}/${component}/${this.nodeId}/${objectId}/config`;
  }

  deviceTopic(device: string, leaf: string): string {
    return `${this.base}/${device}/${leaf}`;
  }

  uniqueId(objectId: string): string {
    return `${this.nodeId}_${objectId}`;
  }

  // ---- UplinkProfile

  will(): Packet {
    return { topic: this.bridgeAvailability, payload: Buffer.from('offline'), qos: 1, retain: true };
  }

  subscriptions(): string[] {
    return [this.statusTopic, `${this.base}/+/set/+`];
  }

  births(now: number): Packet[] {
    this.lastBirthAt = now;
    const out: Packet[] = [this.bridgeConfig(), { topic: this.bridgeAvailability, payload: Buffer.from('online'), qos: 1, retain: true }];
    for (const [topic, e] of this.entries) if (e.payload) out.push({ topic, payload: e.payload, qos: 1, retain: true });
    out.push(...this.states.values());
    for (const topic of this.removed) out.push(empty(topic));
    this.removed.clear();
    return out;
  }

  accept(input: UplinkInput, _online: boolean, now: number): Packet[] {
    return input.type === 'alarm' ? this.acceptAlarm(input, now) : this.acceptReading(input, now);
  }

  render(item: Packet): Packet[] {
    return [item];
  }

  disconnected(): void {
    // nothing is tied to one connection: the next births publish everything again
  }

  farewell(): Packet[] {
    return [{ topic: this.bridgeAvailability, payload: Buffer.from('offline'), qos: 1, retain: true }];
  }

  command(topic: string, payload: Buffer, now: number): Packet[] {
    if (topic === this.statusTopic) {
      // Home Assistant (re)started: it has forgotten non-retained discovery and wants every config again
      if (payload.toString().trim() !== 'online' || now - this.lastBirthAt < BIRTH_DEBOUNCE_MS) return [];
      return this.births(now);
    }
    const levels = topic.split('/');
    const baseLevels = this.base.split('/').length;
    if (levels.length !== baseLevels + 3 || levels[baseLevels + 1] !== 'set') return [];
    const deviceSlug = levels[baseLevels];
    const keySlug = levels[baseLevels + 2];
    const device = this.devices.get(deviceSlug);
    if (!device) {
      this.options.onRefused?.(deviceSlug, keySlug, 'unknownDevice');
      return [];
    }
    const key = device.switches.get(keySlug);
    // the node's allow-list as its last envelope said: a switch it no longer allows is refused here already
    if (key === undefined || !device.writable.has(key)) {
      this.options.onRefused?.(deviceSlug, keySlug, 'notWritable');
      return [];
    }
    const text = payload.toString().trim();
    if (text !== 'ON' && text !== 'OFF') {
      this.options.onRefused?.(deviceSlug, keySlug, 'badPayload');
      return [];
    }
    this.options.onCommand?.({
      device: deviceSlug,
      kind: device.kind,
      name: device.info.name,
      source: device.source,
      key,
      value: text === 'ON',
      address: device.info.address,
    });
    return [];
  }

  buffering(): boolean {
    // the births after a reconnect carry every config and the latest state: a backlog adds nothing
    return false;
  }

  // ---- switches, removal, persistence

  /** The jk-bms node confirmed a write (its reply, read back): the switch shows the new state at once. */
  confirmed(deviceSlug: string, key: string, value: boolean): Packet[] {
    const device = this.devices.get(deviceSlug);
    if (!device) return [];
    device.values.set(haSlug(key), value);
    return [this.statePacket(device)];
  }

  /**
   * Removes from Home Assistant what has been gone for `forgetAfterMs`: a device that sent nothing (with all its
   * entities, state and availability), a key whose stream kept delivering values without it. Alarm entities stay
   * with their device (an alarm that is not active is simply off).
   */
  sweep(now: number): Packet[] {
    const forget = this.options.forgetAfterMs;
    const out: Packet[] = [];
    const goneDevices = new Set<string>();
    for (const [topic, e] of this.entries) {
      if (e.r === 'bridge') continue;
      const device = this.devices.get(e.d);
      const deviceSeen = device?.lastSeen ?? this.options.startedAt;
      let gone = now - deviceSeen > forget;
      if (gone) goneDevices.add(e.d);
      else if ((e.r === 'key' || e.r === 'switch') && device && e.s !== undefined) {
        const streamAt = device.valuesAt.get(e.s);
        gone = streamAt !== undefined && streamAt - e.lastSeen > forget;
      }
      if (gone) {
        this.entries.delete(topic);
        this.recordDirty = true;
        out.push(this.clear(topic));
      }
    }
    for (const slug of goneDevices) {
      const device = this.devices.get(slug);
      this.devices.delete(slug);
      if (device) for (const [source, owner] of this.sources) if (owner === slug) this.sources.delete(source);
      for (const topic of [...this.states.keys()]) {
        if (topic.startsWith(`${this.base}/${slug}/`)) {
          this.states.delete(topic);
          out.push(this.clear(topic));
        }
      }
    }
    return out;
  }

  /** what to keep in the node's context, or undefined when nothing changed since the last call */
  takeRecord(): PublishedRecord | undefined {
    if (!this.recordDirty) return undefined;
    this.recordDirty = false;
    return this.record();
  }

  /** every config topic published, this run or one before and not removed yet */
  record(): PublishedRecord {
    const record: PublishedRecord = {};
    for (const [topic, e] of this.entries) record[topic] = e.s === undefined ? { d: e.d, r: e.r } : { d: e.d, s: e.s, r: e.r };
    return record;
  }

  /** energy totals per device, or undefined when none changed since the last call */
  takeEnergy(): { [device: string]: { chargedKwh: number; dischargedKwh: number } } | undefined {
    if (!this.energyDirty) return undefined;
    this.energyDirty = false;
    return this.energyTotals();
  }

  /** the energy totals of every battery, integrated or restored */
  energyTotals(): { [device: string]: { chargedKwh: number; dischargedKwh: number } } {
    const out: { [device: string]: { chargedKwh: number; dischargedKwh: number } } = {};
    for (const [slug, value] of Object.entries(this.energyRestored)) out[slug] = restoreTotals(value);
    for (const d of this.devices.values()) if (d.energy) out[d.slug] = { chargedKwh: d.energy.chargedKwh, dischargedKwh: d.energy.dischargedKwh };
    return out;
  }

  // ---- readings

  private deviceOf(input: ReadingInput, now: number): DeviceState {
    const slug = `${haSlug(input.device.kind)}_${haSlug(input.device.name)}`;
    let device = this.devices.get(slug);
    if (!device) {
      device = {
        slug,
        kind: input.device.kind,
        info: input.device,
        source: input.source,
        identity: '',
        values: new Map(),
        valuesAt: new Map(),
        lastSeen: now,
        alarmsBySource: new Map(),
        activeAlarms: new Map(),
        writable: new Set(),
        switches: new Map(),
        entities: 0,
        plans: new Map(),
      };
      this.devices.set(slug, device);
    }
    device.lastSeen = now;
    // a per-value or per-part stream is not the device's own topic; the shortest one seen is
    if (device.source === '' || (input.key === undefined && input.source !== '' && input.source.length < device.source.length)) device.source = input.source;
    if (input.source !== '') this.sources.set(input.source, slug);
    return device;
  }

  private acceptReading(input: ReadingInput, now: number): Packet[] {
    const device = this.deviceOf(input, now);
    const out: Packet[] = [];
    const hasValues = Object.keys(input.reading).length > 0;
    // identity: a serial or firmware read later changes the device entry, so every config goes out again
    const identity = JSON.stringify(input.device);
    const identityChanged = hasValues && identity !== device.identity;
    if (identityChanged) {
      device.identity = identity;
      device.info = input.device;
      device.common = undefined;
    }
    const writable = new Set((input.device.writable ?? []).filter((k) => HA_SWITCH_KEYS.includes(k)));
    const writableChanged = hasValues && [...writable].join() !== [...device.writable].join();
    if (writableChanged) device.writable = writable;

    const available = input.quality !== 'comm_error' && input.quality !== 'stale';
    if (available !== device.available) {
      device.available = available;
      out.push(this.remember({ topic: this.deviceTopic(device.slug, 'availability'), payload: Buffer.from(available ? 'online' : 'offline'), qos: 1, retain: true }));
    }
    if (hasValues) {
      device.valuesAt.set(input.source, now);
      if (writableChanged) device.plans.clear();
      for (const leaf of flatten(input.reading, input.units, partPrefix(input.source, input.device.name, input.key))) {
        const planKey = `${leaf.slug}|${typeof leaf.value}|${leaf.unit ?? ''}`;
        let plan = device.plans.get(planKey);
        if (plan === undefined) {
          const info = this.lookup({ kind: device.kind, path: leaf.path, unit: leaf.unit, value: leaf.value });
          const isSwitch = typeof leaf.value === 'boolean' && leaf.path.length === 1 && writable.has(leaf.path[0]);
          plan = info ? { info, component: isSwitch ? 'switch' : typeof leaf.value === 'boolean' ? 'binary_sensor' : 'sensor', role: isSwitch ? 'switch' : 'key' } : null;
          device.plans.set(planKey, plan);
        }
        if (plan === null) continue;
        const made = this.entity(device, leaf.slug, plan.component, plan.info, input.source, now, identityChanged, plan.role);
        if (made.length > 0) out.push(...made);
        if (plan.role === 'switch') device.switches.set(leaf.slug, leaf.path[0]);
        device.values.set(leaf.slug, typeof leaf.value === 'string' ? leaf.value.slice(0, MAX_STATE_TEXT) : leaf.value);
      }
      if (writableChanged || identityChanged) out.push(...this.switchesWithoutValue(device, input.source, now, identityChanged));
      out.push(...this.energy(device, input, now, identityChanged));
      out.push(this.statePacket(device));
      out.push(...this.deviceAlarms(device, input, now, identityChanged));
    }
    return out;
  }

  /** A writable switch the reading does not carry (the JK02 reading has no balancerEnabled): state from replies. */
  private switchesWithoutValue(device: DeviceState, source: string, now: number, force: boolean): Packet[] {
    const out: Packet[] = [];
    for (const key of device.writable) {
      const slug = haSlug(key);
      if (device.switches.has(slug)) continue;
      device.switches.set(slug, key);
      out.push(...this.entity(device, slug, 'switch', { label: labelOfSwitch(key) }, source, now, force, 'switch'));
    }
    // a switch no longer allowed: its entity goes at once (a binary sensor shows the value if the reading has it)
    for (const [slug, key] of [...device.switches]) {
      if (device.writable.has(key)) continue;
      device.switches.delete(slug);
      const topic = this.configTopic('switch', `${device.slug}_${slug}`);
      if (this.entries.delete(topic)) {
        this.recordDirty = true;
        out.push(this.clear(topic));
      }
    }
    return out;
  }

  /** The config of one entity when it is new or its device changed; marks it seen either way. */
  private entity(device: DeviceState, keySlug: string, component: HaComponent, info: HaKeyInfo, source: string, now: number, force: boolean, role: EntityRole): Packet[] {
    const objectId = `${device.slug}_${keySlug}`;
    const topic = this.configTopic(component, objectId);
    const known = this.entries.get(topic);
    if (known && known.payload && !force) {
      known.lastSeen = now;
      if (known.s !== source && role !== 'alarm') {
        known.s = source;
        this.recordDirty = true;
      }
      return [];
    }
    if (!known && device.entities >= MAX_ENTITIES_PER_DEVICE) return [];
    const out: Packet[] = [];
    // the same key as another component (a switch that became read-only, or the other way round): remove that one
    for (const other of ['sensor', 'binary_sensor', 'switch'] as const) {
      if (other === component || role === 'alarm' || role === 'energy') continue;
      const otherTopic = this.configTopic(other, objectId);
      if (this.entries.delete(otherTopic)) out.push(this.clear(otherTopic));
    }
    const config = role === 'alarm' ? this.alarmConfig(device, keySlug, info) : this.keyConfig(device, keySlug, component, info);
    const payload = safeJson(config);
    if (!payload) return out;
    if (!known) device.entities++;
    this.entries.set(topic, { d: device.slug, s: role === 'alarm' || role === 'energy' ? undefined : source, r: role, component, lastSeen: now, payload });
    this.removed.delete(topic);
    this.recordDirty = true;
    out.push({ topic, payload, qos: 1, retain: true });
    return out;
  }

  private common(device: DeviceState, objectId: string, label: string): Record<string, unknown> {
    if (!device.common) {
      device.common = {
        device: this.deviceBlock(device),
        availability: [{ topic: this.bridgeAvailability }, { topic: this.deviceTopic(device.slug, 'availability') }],
      };
    }
    return {
      name: label,
      unique_id: this.uniqueId(objectId),
      availability: device.common.availability,
      availability_mode: 'all',
      device: device.common.device,
      origin: HA_ORIGIN,
    };
  }

  private keyConfig(device: DeviceState, keySlug: string, component: HaComponent, info: HaKeyInfo): Record<string, unknown> {
    const config: Record<string, unknown> = { ...this.common(device, `${device.slug}_${keySlug}`, info.label), state_topic: this.deviceTopic(device.slug, 'state') };
    if (component === 'sensor') {
      config.value_template = `{{ value_json.${keySlug} }}`;
      if (info.deviceClass !== undefined) config.device_class = info.deviceClass;
      if (info.stateClass !== undefined) config.state_class = info.stateClass;
      if (info.unit !== undefined) config.unit_of_measurement = info.unit;
      if (info.precision !== undefined && info.stateClass !== undefined) config.suggested_display_precision = info.precision;
    } else {
      config.value_template = `{{ 'ON' if value_json.${keySlug} else 'OFF' }}`;
      config.payload_on = 'ON';
      config.payload_off = 'OFF';
    }
    if (component === 'switch') {
      config.command_topic = this.deviceTopic(device.slug, `set/${keySlug}`);
      config.state_on = 'ON';
      config.state_off = 'OFF';
      config.optimistic = false;
    }
    if (info.entityCategory !== undefined) config.entity_category = info.entityCategory;
    return config;
  }

  private alarmConfig(device: DeviceState, alarmSlug: string, info: HaKeyInfo): Record<string, unknown> {
    const topic = this.deviceTopic(device.slug, `alarm/${alarmSlug.replace(/^alarm_/, '')}`);
    return {
      ...this.common(device, `${device.slug}_${alarmSlug}`, info.label),
      device_class: 'problem',
      state_topic: topic,
      value_template: "{{ 'ON' if value_json.active else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      json_attributes_topic: topic,
    };
  }

  private deviceBlock(device: DeviceState): Record<string, unknown> {
    const info = device.info;
    const identifiers = [`${this.nodeId}_${device.slug}`];
    // the serial names the device itself, wherever it is read from
    if (info.serial !== undefined) identifiers.push(`${haSlug(device.kind)}_${haSlug(info.serial)}`);
    const block: Record<string, unknown> = {
      identifiers,
      name: info.name,
      manufacturer: MANUFACTURERS[device.kind] ?? device.kind,
      model: info.model ?? device.kind,
      via_device: this.nodeId,
    };
    if (info.firmware !== undefined) block.sw_version = info.firmware;
    if (info.hardware !== undefined) block.hw_version = info.hardware;
    if (info.serial !== undefined) block.serial_number = info.serial;
    return block;
  }

  /** The Node-RED instance as the device every other one is connected through (`via_device`). */
  private bridgeConfig(): Packet {
    const topic = this.configTopic('binary_sensor', 'bridge');
    const payload = safeJson({
      name: 'Connected',
      unique_id: this.uniqueId('bridge'),
      device_class: 'connectivity',
      entity_category: 'diagnostic',
      state_topic: this.bridgeAvailability,
      payload_on: 'online',
      payload_off: 'offline',
      device: { identifiers: [this.nodeId], name: `Node-RED ${this.options.edge}`, manufacturer: 'dcpower', model: 'dcpower-uplink' },
      origin: HA_ORIGIN,
    }) as Buffer;
    if (!this.entries.has(topic)) this.recordDirty = true;
    this.entries.set(topic, { d: 'bridge', r: 'bridge', component: 'binary_sensor', lastSeen: Infinity });
    return { topic, payload, qos: 1, retain: true };
  }

  private statePacket(device: DeviceState): Packet {
    const values: Record<string, unknown> = {};
    for (const [k, v] of device.values) values[k] = v;
    return this.remember({ topic: this.deviceTopic(device.slug, 'state'), payload: safeJson(values) ?? Buffer.from('{}'), qos: 0, retain: true });
  }

  /** an empty retained message: Home Assistant removes the entity, the broker forgets the topic */
  private clear(topic: string): Packet {
    this.removed.add(topic);
    return empty(topic);
  }

  private remember(packet: Packet): Packet {
    this.states.set(packet.topic, packet);
    this.removed.delete(packet.topic);
    return packet;
  }

  // ---- energy

  private energy(device: DeviceState, input: ReadingInput, now: number, force: boolean): Packet[] {
    const source = ENERGY_SOURCES[device.kind];
    if (!source || input.quality !== 'good' || input.key !== undefined) return [];
    const power = batteryPower(source, input.reading);
    if (power === undefined) return [];
    if (!device.energy) device.energy = restoreTotals(this.energyRestored[device.slug]);
    device.energy = integrate(device.energy, power, input.timestamp);
    this.energyDirty = true;
    device.values.set('energy_charged', round(device.energy.chargedKwh, 6));
    device.values.set('energy_discharged', round(device.energy.dischargedKwh, 6));
    const total = (label: string): HaKeyInfo => ({ label, unit: 'kWh', deviceClass: 'energy', stateClass: 'total_increasing', precision: 3 });
    return [
      ...this.entity(device, 'energy_charged', 'sensor', total('Energy charged'), input.source, now, force, 'energy'),
      ...this.entity(device, 'energy_discharged', 'sensor', total('Energy discharged'), input.source, now, force, 'energy'),
    ];
  }

  // ---- alarms

  private deviceAlarms(device: DeviceState, input: ReadingInput, now: number, force: boolean): Packet[] {
    const own = new Map<string, { text?: string; severity?: string; since?: number }>();
    for (const a of input.alarms) own.set(a.id, { text: a.text, severity: a.severity, since: a.since });
    device.alarmsBySource.set(input.source, own);
    const active = new Map<string, { text?: string; severity?: string; since?: number }>();
    for (const list of device.alarmsBySource.values()) for (const [id, a] of list) active.set(id, a);
    const out: Packet[] = [];
    for (const [id, a] of active) {
      const slug = `alarm_${haSlug(id)}`;
      out.push(...this.entity(device, slug, 'binary_sensor', { label: a.text ?? id }, input.source, now, force, 'alarm'));
      const was = device.activeAlarms.get(id);
      if (!was || was.severity !== a.severity || was.text !== a.text) out.push(this.alarmState(device, slug, { active: true, id, severity: a.severity, text: a.text, since: a.since, source: 'device' }));
    }
    for (const [id, a] of device.activeAlarms) {
      if (active.has(id)) continue;
      out.push(this.alarmState(device, `alarm_${haSlug(id)}`, { active: false, id, severity: a.severity, text: a.text, since: now, source: 'device' }));
    }
    device.activeAlarms = active;
    return out;
  }

  private alarmState(device: DeviceState, alarmSlug: string, attributes: Record<string, unknown>): Packet {
    const topic = this.deviceTopic(device.slug, `alarm/${alarmSlug.replace(/^alarm_/, '')}`);
    return this.remember({ topic, payload: safeJson(attributes) ?? Buffer.from('{"active":false}'), qos: 1, retain: true });
  }

  /** An alarm-rules state change: a problem sensor on the device whose readings the rule watches. */
  private acceptAlarm(input: AlarmInput, now: number): Packet[] {
    const e = input.event;
    const topic = typeof e.topic === 'string' ? e.topic : '';
    const device = this.deviceForSource(topic);
    if (!device) return this.bridgeAlarm(input, now);
    const slug = `rule_${haSlug(input.id)}`;
    const label = typeof e.name === 'string' && e.name !== '' ? e.name : typeof e.text === 'string' && e.text !== '' ? e.text : input.id;
    return [...this.entity(device, slug, 'binary_sensor', { label }, topic, now, false, 'alarm'), this.alarmState(device, slug, ruleAttributes(input))];
  }

  /** An alarm of no known device (yet): on the bridge device, so it still shows. */
  private bridgeAlarm(input: AlarmInput, now: number): Packet[] {
    const slug = `rule_${haSlug(input.id)}`;
    const topic = this.configTopic('binary_sensor', `bridge_${slug}`);
    const stateTopic = `${this.base}/bridge/alarm/${slug}`;
    const out: Packet[] = [];
    if (!this.entries.get(topic)?.payload) {
      const payload = safeJson({
        name: typeof input.event.name === 'string' && input.event.name !== '' ? input.event.name : input.id,
        unique_id: this.uniqueId(`bridge_${slug}`),
        device_class: 'problem',
        state_topic: stateTopic,
        value_template: "{{ 'ON' if value_json.active else 'OFF' }}",
        payload_on: 'ON',
        payload_off: 'OFF',
        json_attributes_topic: stateTopic,
        availability: [{ topic: this.bridgeAvailability }],
        device: { identifiers: [this.nodeId] },
        origin: HA_ORIGIN,
      });
      if (payload) {
        this.entries.set(topic, { d: 'bridge', r: 'bridge', component: 'binary_sensor', lastSeen: now, payload });
        this.removed.delete(topic);
        this.recordDirty = true;
        out.push({ topic, payload, qos: 1, retain: true });
      }
    }
    out.push(this.remember({ topic: stateTopic, payload: safeJson(ruleAttributes(input)) ?? Buffer.from('{"active":false}'), qos: 1, retain: true }));
    return out;
  }

  /** the device of a message stream: the stream itself, or the longest stream it lies under */
  private deviceForSource(topic: string): DeviceState | undefined {
    if (topic === '') return undefined;
    const exact = this.sources.get(topic);
    if (exact) return this.devices.get(exact);
    let best: string | undefined;
    for (const source of this.sources.keys()) {
      if ((topic.startsWith(`${source}/`) || source.startsWith(`${topic}/`)) && (best === undefined || source.length < best.length)) best = source;
    }
    return best !== undefined ? this.devices.get(this.sources.get(best) as string) : undefined;
  }
}

/** The attributes Home Assistant shows with an alarm-rules alarm: severity, ISA-18.2 state, value at raise, text. */
function ruleAttributes(input: AlarmInput): Record<string, unknown> {
  const e = input.event;
  return {
    active: e.active === true,
    id: input.id,
    rule: e.rule,
    state: e.state,
    acknowledged: e.acknowledged,
    severity: e.severity,
    value: e.value,
    value_at_raise: e.valueAtRaise,
    text: e.text,
    since: e.since,
    source: 'alarm-rules',
  };
}

function labelOfSwitch(key: string): string {
  return { chargeEnabled: 'Charging', dischargeEnabled: 'Discharging', balancerEnabled: 'Balancer' }[key] ?? key;
}

function empty(topic: string): Packet {
  return { topic, payload: Buffer.alloc(0), qos: 1, retain: true };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function isEntry(value: unknown): value is PublishedEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return typeof e.d === 'string' && typeof e.r === 'string' && ['key', 'switch', 'energy', 'alarm', 'bridge'].includes(e.r) && (e.s === undefined || typeof e.s === 'string');
}

/**
 * Where a message's values sit in the device's reading: a per-part message (`bacs/room/string/2`) holds what the
 * whole reading has under `strings/2`, so both output modes of a node give the same keys.
 */
export function partPrefix(source: string, deviceName: string, key: string | undefined): string[] {
  if (key !== undefined) return [];
  const levels = source.split('/');
  const at = levels.lastIndexOf(deviceName);
  if (at < 0 || at === levels.length - 1) return [];
  const rest = levels.slice(at + 1);
  if (rest.length >= 2 && PART_PREFIX[rest[0]] !== undefined) return [PART_PREFIX[rest[0]], ...rest.slice(1)];
  return rest;
}

/** The unit of a nested key: `modules.voltage` for `modules/21/voltage`, `cellVoltages` for `cellVoltages/3`. */
function unitOf(units: Record<string, string>, path: readonly string[]): string | undefined {
  const named = path.filter((p) => !/^\d+$/.test(p));
  for (let from = 0; from < named.length; from++) {
    const u = units[named.slice(from).join('.')];
    if (u !== undefined) return u;
  }
  return units[named[0]];
}

/**
 * Every published leaf of a reading: numbers, booleans, texts (a list of texts is one text). An array of objects
 * is keyed by each element's `id` or `index` (a BACS module keeps its number whichever message carries it), a
 * list of numbers from 1. The reading's own `alarms` list is left out: alarms are binary sensors of their own.
 */
export function flatten(reading: Record<string, unknown>, units: Record<string, string>, prefix: string[] = []): Leaf[] {
  const out: Leaf[] = [];
  const slugs = new Set<string>();
  const push = (path: string[], value: number | boolean | string): void => {
    const slug = haSlug(path.join('_'));
    if (slugs.has(slug)) return;
    slugs.add(slug);
    out.push({ path, slug, value, unit: unitOf(units, path) });
  };
  const walk = (path: string[], value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) push(path, value);
    } else if (typeof value === 'boolean' || typeof value === 'string') {
      push(path, value);
    } else if (Array.isArray(value)) {
      if (value.length > 0 && value.every((v) => typeof v === 'string')) {
        push(path, value.join(', '));
        return;
      }
      value.forEach((v, i) => {
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
          const o = v as Record<string, unknown>;
          const id = typeof o.id === 'number' || typeof o.id === 'string' ? o.id : typeof o.index === 'number' ? o.index : i + 1;
          // an element keyed by id stands for itself wherever it is nested (modules under a string)
          const base = typeof o.id === 'number' || typeof o.id === 'string' ? [path[path.length - 1], String(id)] : [...path, String(id)];
          for (const [k, x] of Object.entries(o)) if (!ELEMENT_IDENTITY.has(k)) walk([...base, k], x, depth + 1);
        } else walk([...path, String(i + 1)], v, depth + 1);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, x] of Object.entries(value as Record<string, unknown>)) walk([...path, k], x, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(reading)) {
    if (prefix.length === 0 && key === 'alarms') continue;
    if (prefix.length > 0 && ELEMENT_IDENTITY.has(key)) continue;
    walk([...prefix, key], value, prefix.length);
  }
  return out;
}

/** fields of an array element that say which element it is, not what it measures */
const ELEMENT_IDENTITY = new Set(['id', 'index', 'string', 'position']);
