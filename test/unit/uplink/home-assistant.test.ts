/**
 * The Home Assistant profile of the uplink, pure: discovery of a JK pack, a BACS string and a Jupiter unit (real
 * envelopes of the example flows, test/fixtures/ha-envelopes.json) checked against the documented discovery
 * schema (test/helpers/ha-discovery-schema.ts), unique ids across restarts, birth republish, availability,
 * removal, switches, alarms and the energy totals.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { integrate, restoreTotals } from '../../../nodes/uplink/ha-energy';
import { labelOf } from '../../../nodes/uplink/ha-keys';
import { flatten, HaSwitchCommand, HomeAssistantProfile, partPrefix, PublishedRecord } from '../../../nodes/uplink/home-assistant';
import { classify, ReadingInput } from '../../../nodes/uplink/input';
import type { Packet } from '../../../nodes/uplink/profile';
import { discoveryProblems, templateKey } from '../../helpers/ha-discovery-schema';

type Envelope = Record<string, unknown> & { payload: Record<string, unknown>; device: Record<string, unknown>; topic: string; timestamp: number };
const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/ha-envelopes.json'), 'utf8')) as Record<string, Envelope>;

function clone(e: Envelope, patch: Record<string, unknown> = {}): Envelope {
  return { ...(JSON.parse(JSON.stringify(e)) as Envelope), ...patch };
}

function reading(e: Envelope): ReadingInput {
  const c = classify(e, e.timestamp);
  if (!c.ok || c.value.type !== 'reading') throw new Error('not a reading');
  return c.value;
}

function profile(over: Partial<ConstructorParameters<typeof HomeAssistantProfile>[0]> = {}): HomeAssistantProfile {
  return new HomeAssistantProfile({ prefix: 'homeassistant', edge: 'node-red', forgetAfterMs: 60_000, startedAt: 1_000, ...over });
}

function configs(packets: Packet[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const p of packets) if (p.topic.endsWith('/config') && p.payload.length > 0) out.set(p.topic, JSON.parse(p.payload.toString()) as Record<string, unknown>);
  return out;
}

function last(packets: Packet[], topic: string): Packet | undefined {
  return [...packets].reverse().find((p) => p.topic === topic);
}

function entity(all: Map<string, Record<string, unknown>>, component: string, objectId: string): Record<string, unknown> {
  const c = all.get(`homeassistant/${component}/dcpower_node_red/${objectId}/config`);
  if (!c) throw new Error(`no ${component} ${objectId}: ${[...all.keys()].filter((k) => k.includes(objectId.split('_')[0])).slice(0, 5).join(', ')}`);
  return c;
}

describe('uplink Home Assistant profile', () => {
  it('publishes a JK pack, a BACS string and a Jupiter unit as documented: every config valid, every template key in the state', () => {
    const ha = profile();
    const packets = [fixtures.jkPack, fixtures.bacsSystem, fixtures.bacsString, fixtures.jupiterUnit].flatMap((e) => ha.accept(reading(e), true, e.timestamp));
    const all = configs([...ha.births(2_000), ...packets]);
    expect(all.size).to.be.greaterThan(150);
    const states = new Map<string, Record<string, unknown>>();
    for (const p of packets) if (p.topic.endsWith('/state')) states.set(p.topic, JSON.parse(p.payload.toString()) as Record<string, unknown>);
    for (const [topic, config] of all) {
      expect(discoveryProblems(topic, config), topic).to.deep.equal([]);
      const key = templateKey(config.value_template);
      if (config.state_topic && String(config.state_topic).endsWith('/state')) {
        expect(key, `${topic} template`).to.be.a('string');
        expect(states.get(String(config.state_topic)), `${topic} state`).to.have.property(key as string);
      }
    }
    // JK pack: the documented fields, one by one
    const voltage = entity(all, 'sensor', 'jk_bms_pack1_voltage');
    expect(voltage).to.deep.include({
      name: 'Pack voltage',
      unique_id: 'dcpower_node_red_jk_bms_pack1_voltage',
      state_topic: 'dcpower/node_red/jk_bms_pack1/state',
      value_template: '{{ value_json.voltage }}',
      device_class: 'voltage',
      unit_of_measurement: 'V',
      state_class: 'measurement',
      suggested_display_precision: 2,
      availability_mode: 'all',
    });
    expect(voltage.availability).to.deep.equal([{ topic: 'dcpower/node_red/bridge/availability' }, { topic: 'dcpower/node_red/jk_bms_pack1/availability' }]);
    expect(voltage.device).to.deep.equal({
      identifiers: ['dcpower_node_red_jk_bms_pack1', 'jk_bms_sim00000001'],
      name: 'pack1',
      manufacturer: 'JK BMS (Jikong)',
      model: 'JK_PB2A16S20P',
      via_device: 'dcpower_node_red',
      sw_version: '15.41',
      hw_version: '15A',
      serial_number: 'SIM00000001',
    });
    expect(entity(all, 'sensor', 'jk_bms_pack1_soc')).to.deep.include({ device_class: 'battery', unit_of_measurement: '%', state_class: 'measurement' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_soh')).to.not.have.property('device_class');
    expect(entity(all, 'sensor', 'jk_bms_pack1_current')).to.deep.include({ device_class: 'current', unit_of_measurement: 'A' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_power')).to.deep.include({ device_class: 'power', unit_of_measurement: 'W' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_mos_temperature')).to.deep.include({ device_class: 'temperature', unit_of_measurement: '°C', name: 'MOS temperature' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_runtime')).to.deep.include({ device_class: 'duration', unit_of_measurement: 's' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_cell_voltages_16')).to.deep.include({ name: 'Cell 16 voltage', suggested_display_precision: 3, device_class: 'voltage' });
    // a lifetime counter (the JK schema's accumulation), so Home Assistant keeps its long-term statistics as a total
    expect(entity(all, 'sensor', 'jk_bms_pack1_cycles')).to.deep.include({ entity_category: 'diagnostic', state_class: 'total_increasing' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_cell_resistances_1')).to.deep.include({ unit_of_measurement: 'mΩ' }).and.not.have.property('device_class');
    expect(entity(all, 'binary_sensor', 'jk_bms_pack1_charge_enabled')).to.deep.include({ value_template: "{{ 'ON' if value_json.charge_enabled else 'OFF' }}", payload_on: 'ON' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_energy_charged')).to.deep.include({ device_class: 'energy', state_class: 'total_increasing', unit_of_measurement: 'kWh' });
    expect(entity(all, 'sensor', 'jk_bms_pack1_energy_discharged')).to.deep.include({ device_class: 'energy', state_class: 'total_increasing', unit_of_measurement: 'kWh' });
    // BACS: the string message and the whole-reading message name the same keys
    expect(entity(all, 'sensor', 'bacs_battery_room_strings_1_voltage')).to.deep.include({ name: 'String 1 voltage', device_class: 'voltage', unit_of_measurement: 'V' });
    expect(entity(all, 'sensor', 'bacs_battery_room_modules_1_temperature')).to.deep.include({ name: 'Module 1 temperature', device_class: 'temperature' });
    expect(entity(all, 'sensor', 'bacs_battery_room_modules_1_resistance')).to.deep.include({ unit_of_measurement: 'mΩ' });
    expect(entity(all, 'sensor', 'bacs_battery_room_module_count')).to.deep.include({ entity_category: 'diagnostic' });
    expect(entity(all, 'sensor', 'bacs_battery_room_status')).to.not.have.property('state_class');
    expect(entity(all, 'sensor', 'bacs_battery_room_strings_1_voltage').device).to.deep.include({ manufacturer: 'GENEREX' });
    // Jupiter
    expect(entity(all, 'sensor', 'jupiter_hvdc_rack_1_battery_voltage')).to.deep.include({ device_class: 'voltage', unit_of_measurement: 'V' });
    expect(entity(all, 'sensor', 'jupiter_hvdc_rack_1_ac_input_frequency')).to.deep.include({ device_class: 'frequency', unit_of_measurement: 'Hz' });
    expect(entity(all, 'sensor', 'jupiter_hvdc_rack_1_estimated_minutes_remaining')).to.deep.include({ device_class: 'duration', unit_of_measurement: 'min' });
    expect(entity(all, 'sensor', 'jupiter_hvdc_rack_1_rectifiers_1_current')).to.deep.include({ name: 'Rectifier 1 current', device_class: 'current' });
    expect(entity(all, 'binary_sensor', 'jupiter_hvdc_rack_1_ac_input_ok')).to.deep.include({ name: 'AC input OK' });
    expect(entity(all, 'sensor', 'jupiter_hvdc_rack_1_energy_charged')).to.deep.include({ state_class: 'total_increasing' });
    // the bridge: the device every other one is connected through
    expect(entity(all, 'binary_sensor', 'bridge')).to.deep.include({ device_class: 'connectivity', state_topic: 'dcpower/node_red/bridge/availability', payload_on: 'online' });
  });

  it('unique ids and config topics are the same after a restart and a redeploy', () => {
    const run = (): string[] => {
      const ha = profile();
      const packets = [fixtures.jkPack, fixtures.bacsString, fixtures.jupiterUnit].flatMap((e) => ha.accept(reading(e), true, e.timestamp));
      return [...configs(packets)].map(([t, c]) => `${t} ${String(c.unique_id)}`).sort();
    };
    const first = run();
    expect(first.length).to.be.greaterThan(50);
    expect(run()).to.deep.equal(first);
    // later values, another order: the same ids
    const ha = profile();
    const later = [fixtures.jupiterUnit, fixtures.bacsString, fixtures.jkPack].map((e) => clone(e, { timestamp: e.timestamp + 60_000 }));
    const packets = later.flatMap((e) => ha.accept(reading(e), true, e.timestamp));
    expect([...configs(packets)].map(([t, c]) => `${t} ${String(c.unique_id)}`).sort()).to.deep.equal(first);
    const ids = first.map((l) => l.split(' ')[1]);
    expect(new Set(ids).size, 'unique ids are unique').to.equal(ids.length);
  });

  it("publishes every config again when Home Assistant's birth message arrives (not twice right after its own births)", () => {
    const ha = profile();
    const packets = ha.accept(reading(fixtures.jkPack), true, 10_000);
    const count = configs(packets).size;
    ha.births(10_000);
    expect(ha.command('homeassistant/status', Buffer.from('online'), 10_200)).to.have.length(0);
    const again = ha.command('homeassistant/status', Buffer.from('online'), 20_000);
    expect(configs(again).size).to.equal(count + 1); // and the bridge
    expect(last(again, 'dcpower/node_red/jk_bms_pack1/state')).to.not.equal(undefined);
    expect(last(again, 'dcpower/node_red/bridge/availability')?.payload.toString()).to.equal('online');
    expect(ha.command('homeassistant/status', Buffer.from('offline'), 30_000)).to.have.length(0);
    expect(ha.subscriptions()).to.deep.equal(['homeassistant/status', 'dcpower/node_red/+/set/+']);
    expect(ha.will().payload.toString()).to.equal('offline');
  });

  it('a dead device is unavailable (comm_error, stale), its numbers stay as they were; available again with data', () => {
    const ha = profile();
    const topic = 'dcpower/node_red/jk_bms_pack1/availability';
    expect(last(ha.accept(reading(fixtures.jkPack), true, 1), topic)?.payload.toString()).to.equal('online');
    const dead = ha.accept(reading(clone(fixtures.jkPack, { quality: 'comm_error', payload: {} })), true, 2);
    expect(last(dead, topic)?.payload.toString()).to.equal('offline');
    expect(last(dead, 'dcpower/node_red/jk_bms_pack1/state'), 'no state from an empty reading').to.equal(undefined);
    expect(last(ha.accept(reading(clone(fixtures.jkPack, { quality: 'stale', payload: {} })), true, 3), topic), 'no repeat').to.equal(undefined);
    expect(last(ha.accept(reading(clone(fixtures.jkPack, { quality: 'bad_data' })), true, 4), topic)?.payload.toString()).to.equal('online');
  });

  it('removes (empty retained config) a device gone after a redeploy and a key its stream stopped carrying', () => {
    const first = profile({ startedAt: 0, forgetAfterMs: 1_000 });
    const pack2 = clone(fixtures.jkPack, { topic: 'jk/pack2', device: { ...fixtures.jkPack.device, name: 'pack2', address: 2, serial: 'SIM00000002' } });
    first.accept(reading(fixtures.jkPack), true, 100);
    first.accept(reading(pack2), true, 100);
    const record = first.takeRecord() as PublishedRecord;
    expect(first.takeRecord(), 'nothing new').to.equal(undefined);
    const pack2Topics = Object.keys(record).filter((t) => t.includes('jk_bms_pack2_'));
    expect(pack2Topics.length).to.be.greaterThan(40);
    // redeploy with pack 1 only, and pack 1 without its state of health
    const second = profile({ startedAt: 10_000, forgetAfterMs: 1_000, previous: JSON.parse(JSON.stringify(record)) as PublishedRecord });
    const withoutSoh = (at: number): Envelope => {
      const e = clone(fixtures.jkPack, { timestamp: at });
      delete e.payload.soh;
      return e;
    };
    second.accept(reading(withoutSoh(10_100)), true, 10_100);
    expect(second.sweep(10_500), 'nothing before the time is up').to.deep.equal([]);
    second.accept(reading(withoutSoh(11_200)), true, 11_200);
    const removed = second.sweep(11_200);
    const removedTopics = removed.map((p) => p.topic);
    expect(removed.every((p) => p.payload.length === 0 && p.retain)).to.equal(true);
    for (const t of pack2Topics) expect(removedTopics, t).to.include(t);
    expect(removedTopics).to.include('homeassistant/sensor/dcpower_node_red/jk_bms_pack1_soh/config');
    expect(removedTopics.filter((t) => t.includes('jk_bms_pack1_'))).to.deep.equal(['homeassistant/sensor/dcpower_node_red/jk_bms_pack1_soh/config']);
    expect(Object.keys(second.takeRecord() as PublishedRecord).some((t) => t.includes('pack2'))).to.equal(false);
    // a dead device still sending comm_error envelopes is not removed
    const third = profile({ startedAt: 0, forgetAfterMs: 1_000 });
    third.accept(reading(fixtures.jkPack), true, 0);
    third.accept(reading(clone(fixtures.jkPack, { quality: 'comm_error', payload: {} })), true, 5_000);
    expect(third.sweep(5_500)).to.deep.equal([]);
    // removals made while offline go out with the next births
    const births = second.births(12_000).filter((p) => p.payload.length === 0).map((p) => p.topic);
    expect(births).to.include('homeassistant/sensor/dcpower_node_red/jk_bms_pack1_soh/config');
    expect(second.births(13_000).filter((p) => p.payload.length === 0)).to.deep.equal([]);
  });

  it('offers the switches the jk-bms node allows as switch entities, passes commands on, refuses the others', () => {
    const commands: HaSwitchCommand[] = [];
    const refused: string[] = [];
    const ha = profile({ onCommand: (c) => commands.push(c), onRefused: (d, k, r) => refused.push(`${d}/${k}/${r}`) });
    const writable = clone(fixtures.jkPack, { device: { ...fixtures.jkPack.device, writable: ['chargeEnabled', 'balancerEnabled'] } });
    const all = configs(ha.accept(reading(writable), true, 1));
    const sw = entity(all, 'switch', 'jk_bms_pack1_charge_enabled');
    expect(discoveryProblems('homeassistant/switch/dcpower_node_red/jk_bms_pack1_charge_enabled/config', sw)).to.deep.equal([]);
    expect(sw).to.deep.include({ command_topic: 'dcpower/node_red/jk_bms_pack1/set/charge_enabled', payload_on: 'ON', payload_off: 'OFF', state_on: 'ON', state_off: 'OFF', optimistic: false });
    expect(entity(all, 'switch', 'jk_bms_pack1_balancer_enabled')).to.deep.include({ name: 'Balancer' });
    expect(all.has('homeassistant/binary_sensor/dcpower_node_red/jk_bms_pack1_charge_enabled/config')).to.equal(false);
    expect(entity(all, 'binary_sensor', 'jk_bms_pack1_discharge_enabled')).to.be.an('object');

    ha.command('dcpower/node_red/jk_bms_pack1/set/charge_enabled', Buffer.from('OFF'), 2);
    expect(commands).to.deep.equal([{ device: 'jk_bms_pack1', kind: 'jk-bms', name: 'pack1', source: 'jk/pack1', key: 'chargeEnabled', value: false, address: '1' }]);
    ha.command('dcpower/node_red/jk_bms_pack1/set/discharge_enabled', Buffer.from('OFF'), 2);
    ha.command('dcpower/node_red/jk_bms_pack1/set/charge_enabled', Buffer.from('maybe'), 2);
    ha.command('dcpower/node_red/jk_bms_pack9/set/charge_enabled', Buffer.from('ON'), 2);
    expect(refused).to.deep.equal(['jk_bms_pack1/discharge_enabled/notWritable', 'jk_bms_pack1/charge_enabled/badPayload', 'jk_bms_pack9/charge_enabled/unknownDevice']);
    // the confirmed reply shows at once
    const state = last(ha.confirmed('jk_bms_pack1', 'balancerEnabled', true), 'dcpower/node_red/jk_bms_pack1/state');
    expect(JSON.parse(state?.payload.toString() ?? '{}')).to.include({ balancer_enabled: true });

    // writes turned off in the jk-bms node: the switches go, the value is a binary sensor again, commands are refused
    const after = ha.accept(reading(fixtures.jkPack), true, 3);
    const cleared = after.filter((p) => p.payload.length === 0).map((p) => p.topic).sort();
    expect(cleared).to.deep.equal(['homeassistant/switch/dcpower_node_red/jk_bms_pack1_balancer_enabled/config', 'homeassistant/switch/dcpower_node_red/jk_bms_pack1_charge_enabled/config']);
    expect(configs(after).has('homeassistant/binary_sensor/dcpower_node_red/jk_bms_pack1_charge_enabled/config')).to.equal(true);
    ha.command('dcpower/node_red/jk_bms_pack1/set/charge_enabled', Buffer.from('ON'), 4);
    expect(commands).to.have.length(1);
    expect(refused[refused.length - 1]).to.equal('jk_bms_pack1/charge_enabled/notWritable');
  });

  it('device alarms and alarm-rules alarms are problem binary sensors with severity, state, value at raise and text', () => {
    const ha = profile();
    const withAlarm = clone(fixtures.jkPack, { alarms: [{ id: 'cellOvervoltage', text: 'cell overvoltage', severity: 'major', since: 5 }] });
    const raised = ha.accept(reading(withAlarm), true, 5);
    const all = configs(raised);
    const alarm = entity(all, 'binary_sensor', 'jk_bms_pack1_alarm_cell_overvoltage');
    expect(discoveryProblems('homeassistant/binary_sensor/dcpower_node_red/jk_bms_pack1_alarm_cell_overvoltage/config', alarm)).to.deep.equal([]);
    expect(alarm).to.deep.include({ device_class: 'problem', state_topic: 'dcpower/node_red/jk_bms_pack1/alarm/cell_overvoltage', json_attributes_topic: 'dcpower/node_red/jk_bms_pack1/alarm/cell_overvoltage', name: 'cell overvoltage' });
    expect(JSON.parse(last(raised, 'dcpower/node_red/jk_bms_pack1/alarm/cell_overvoltage')?.payload.toString() ?? '')).to.deep.include({ active: true, severity: 'major', text: 'cell overvoltage' });
    const cleared = ha.accept(reading(fixtures.jkPack), true, 6);
    expect(JSON.parse(last(cleared, 'dcpower/node_red/jk_bms_pack1/alarm/cell_overvoltage')?.payload.toString() ?? '')).to.deep.include({ active: false });

    const event = { id: 'jk/pack1/cellHigh/2', rule: 'cellHigh', name: 'Cell 2 high', topic: 'jk/pack1', index: 2, state: 'unack_active', active: true, acknowledged: false, severity: 'major', value: 3.66, valueAtRaise: 3.66, since: 7, text: 'cell 2 high' };
    const c = classify({ payload: event }, 7);
    if (!c.ok) throw new Error(c.error);
    const out = ha.accept(c.value, true, 7);
    const rule = entity(configs(out), 'binary_sensor', 'jk_bms_pack1_rule_jk_pack1_cell_high_2');
    expect(rule).to.deep.include({ device_class: 'problem', name: 'Cell 2 high' });
    expect(JSON.parse(last(out, 'dcpower/node_red/jk_bms_pack1/alarm/rule_jk_pack1_cell_high_2')?.payload.toString() ?? '')).to.deep.include({
      active: true,
      severity: 'major',
      state: 'unack_active',
      value_at_raise: 3.66,
      text: 'cell 2 high',
    });
    // an alarm of a device not seen yet sits on the bridge device
    const orphan = classify({ payload: { ...event, id: 'x/y', topic: 'nowhere/dev' } }, 8);
    if (!orphan.ok) throw new Error(orphan.error);
    const o = configs(ha.accept(orphan.value, true, 8));
    const bridgeAlarm = entity(o, 'binary_sensor', 'bridge_rule_x_y');
    expect(discoveryProblems('homeassistant/binary_sensor/dcpower_node_red/bridge_rule_x_y/config', bridgeAlarm)).to.deep.equal([]);
  });

  it('integrates charged and discharged energy from power, skips gaps, and keeps the totals across a restart', () => {
    let t = restoreTotals(undefined);
    const at0 = 1_000_000;
    for (let s = 0; s <= 3600; s += 10) t = integrate(t, 1000, at0 + s * 1000);
    expect(t.chargedKwh).to.be.closeTo(1, 1e-9);
    for (let s = 3610; s <= 5400; s += 10) t = integrate(t, -2000, at0 + s * 1000);
    // the step from +1000 to -2000 W counts its mean (-500 W for 10 s)
    expect(t.dischargedKwh).to.be.closeTo(2 * (1790 / 3600) + 500 * 10 / 3_600_000, 1e-9);
    const before = t.dischargedKwh;
    t = integrate(t, -2000, at0 + 5400_000 + 3_600_000);
    expect(t.dischargedKwh, 'an hour of silence counts nothing').to.equal(before);
    expect(restoreTotals({ chargedKwh: -1, dischargedKwh: 'x' })).to.deep.equal({ chargedKwh: 0, dischargedKwh: 0 });

    // through the profile: JK power, then a restart that adds the saved totals
    const ha = profile();
    const at = (ms: number, power: number): Envelope => clone(fixtures.jkPack, { timestamp: ms, payload: { ...fixtures.jkPack.payload, power } });
    ha.accept(reading(at(0, 3600)), true, 0);
    const out = ha.accept(reading(at(10_000, 3600)), true, 10_000);
    expect(JSON.parse(last(out, 'dcpower/node_red/jk_bms_pack1/state')?.payload.toString() ?? '')).to.include({ energy_charged: 0.01, energy_discharged: 0 });
    const saved = ha.takeEnergy();
    expect(saved).to.deep.equal({ jk_bms_pack1: { chargedKwh: 0.01, dischargedKwh: 0 } });
    const restarted = profile({ energy: JSON.parse(JSON.stringify(saved)) as Record<string, unknown> });
    restarted.accept(reading(at(100_000, -3600)), true, 100_000);
    const next = restarted.accept(reading(at(110_000, -3600)), true, 110_000);
    const state = JSON.parse(last(next, 'dcpower/node_red/jk_bms_pack1/state')?.payload.toString() ?? '') as Record<string, number>;
    expect(state.energy_charged).to.be.closeTo(0.01, 1e-9);
    expect(state.energy_discharged).to.be.closeTo(0.01, 1e-9);
    // a store read late (after the first readings) still adds up
    const late = profile();
    late.accept(reading(at(0, 3600)), true, 0);
    late.accept(reading(at(10_000, 3600)), true, 10_000);
    late.restore(undefined, { jk_bms_pack1: { chargedKwh: 5, dischargedKwh: 1 } });
    expect(late.takeEnergy()).to.deep.equal({ jk_bms_pack1: { chargedKwh: 5.01, dischargedKwh: 1 } });
  });

  it('keys: per-part messages name what the whole reading names; labels read well', () => {
    expect(partPrefix('bacs/battery-room/string/2', 'battery-room', undefined)).to.deep.equal(['strings', '2']);
    expect(partPrefix('bacs/battery-room/module/21', 'battery-room', undefined)).to.deep.equal(['modules', '21']);
    expect(partPrefix('jk/pack1/voltage', 'pack1', 'voltage')).to.deep.equal([]);
    expect(partPrefix('jk/pack1', 'pack1', undefined)).to.deep.equal([]);
    const whole = flatten({ strings: [{ index: 2, voltage: 27 }], modules: [{ id: 21, string: 2, position: 1, voltage: 13.6 }] }, { 'strings.voltage': 'V', 'modules.voltage': 'V' });
    const part = flatten({ index: 2, voltage: 27, modules: [{ id: 21, string: 2, position: 1, voltage: 13.6 }] }, { voltage: 'V', 'modules.voltage': 'V' }, ['strings', '2']);
    expect(part.map((l) => [l.slug, l.unit])).to.deep.equal(whole.map((l) => [l.slug, l.unit]));
    expect(whole.map((l) => l.slug)).to.deep.equal(['strings_2_voltage', 'modules_21_voltage']);
    expect(labelOf(['cellVoltages', '3'])).to.equal('Cell 3 voltage');
    expect(labelOf(['acInputOk'])).to.equal('AC input OK');
    expect(labelOf(['flags', 'ac_breaker_open'])).to.equal('Flags AC breaker open');
  });
});
