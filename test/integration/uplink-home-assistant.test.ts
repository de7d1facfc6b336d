/**
 * The uplink's Home Assistant mode end to end against a real mosquitto: a jk-bms node reading the JK simulator,
 * plus a BACS string and a Jupiter unit (envelopes of the example flows, test/fixtures/ha-envelopes.json), through
 * `dcpower-uplink` in a real Node-RED runtime. A subscriber plays Home Assistant: it checks every discovery
 * config against the documented schema (test/helpers/ha-discovery-schema.ts), sends the birth message and switch
 * commands, and sees availability and removals.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import * as path from 'path';
import brokerNode = require('../../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../../nodes/uplink/dcpower-uplink');
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { discoveryProblems, templateKey } from '../helpers/ha-discovery-schema';
import { Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { helper, TestNode } from '../node/red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const busNode = require('../../nodes/links/rs485-bus');
const jkNode = require('../../nodes/jk-bms/jk-bms');
const catchNode = require('@node-red/nodes/core/common/25-catch');
/* eslint-enable @typescript-eslint/no-var-requires */

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/ha-envelopes.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const PREFIX = 'hatest';
const BASE = 'dcpower/e1';

interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

class HomeAssistantStandIn {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {}

  static async connect(port: number): Promise<HomeAssistantStandIn> {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clean: true, protocolVersion: 4, reconnectPeriod: 200 });
    client.on('error', () => undefined);
    const ha = new HomeAssistantStandIn(client);
    client.on('message', (topic, payload, packet) => ha.messages.push({ topic, payload, retain: packet.retain }));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe([`${PREFIX}/#`, `${BASE}/#`], { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
    return ha;
  }

  /** the last message of every config topic, when not empty */
  configs(): Map<string, Record<string, unknown>> {
    const last = new Map<string, Buffer>();
    for (const m of this.messages) if (m.topic.startsWith(`${PREFIX}/`) && m.topic.endsWith('/config')) last.set(m.topic, m.payload);
    const out = new Map<string, Record<string, unknown>>();
    for (const [t, p] of last) if (p.length > 0) out.set(t, JSON.parse(p.toString()) as Record<string, unknown>);
    return out;
  }

  last(topic: string): Buffer | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].topic === topic) return this.messages[i].payload;
    return undefined;
  }

  json(topic: string): Record<string, unknown> | undefined {
    const p = this.last(topic);
    return p && p.length > 0 ? (JSON.parse(p.toString()) as Record<string, unknown>) : undefined;
  }

  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve) => this.client.publish(topic, payload, { qos: 1 }, () => resolve()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }
}

function flow(brokerPort: number, jkPort: number, jk: Record<string, unknown>, uplink: Record<string, unknown> = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'home assistant' },
    { id: 'broker', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port: brokerPort, protocolVersion: '4', keepalive: 30 },
    { id: 'bus1', type: 'rs485-bus', link: 'tcp', host: '127.0.0.1', port: jkPort, gap: 10, timeout: 300, reconnectMs: 100, reconnectMaxMs: 500 },
    { id: 'jk1', type: 'jk-bms', z: 'tab', bus: 'bus1', protocol: 'jk-modbus', addresses: '1', interval: 0.3, staleTime: 0, topic: 'jk', wires: [['up']], ...jk },
    { id: 'up', z: 'tab', type: 'dcpower-uplink', broker: 'broker', format: 'homeassistant', edge: 'e1', haPrefix: PREFIX, haForgetAfter: 600, bufferSize: 100, outputs: 1, wires: [['jk1']], ...uplink },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', wires: [] },
  ];
}

function caughtMessages(): string[] {
  const got: string[] = [];
  (helper.getNode('caught') as TestNode).on('input', (m: { error?: { message?: string } }) => got.push(m.error?.message ?? ''));
  return got;
}

const configTopic = (component: string, objectId: string): string => `${PREFIX}/${component}/dcpower_e1/${objectId}/config`;

describe('dcpower-uplink Home Assistant mode against a real mosquitto', function () {
  this.timeout(60_000);
  let broker: Mosquitto;
  let sim: JkSimulator;
  let jkPort: number;
  let ha: HomeAssistantStandIn | undefined;

  before(async function () {
    if (!mosquittoAvailable()) throw new Error('mosquitto is not installed (.ci/run installs it)');
    broker = new Mosquitto(await freeTcpPort());
    await broker.start();
  });

  beforeEach(async () => {
    sim = new JkSimulator({ port: 0, packs: [1, 2], pacing: false, turnaroundMs: 1 });
    jkPort = (await sim.start()).port as number;
  });

  afterEach(async () => {
    await helper.unload();
    await sim.stop();
    await ha?.close();
    ha = undefined;
  });

  after(async () => {
    await broker?.dispose();
  });

  it('discovery and state of a JK pack, a BACS string and a Jupiter unit as documented; birth republish; same ids after a redeploy; a switch write; a dead pack unavailable', async () => {
    ha = await HomeAssistantStandIn.connect(broker.port);
    const f = flow(broker.port, jkPort, { allowWrites: true, allowCharge: true });
    await helper.load([busNode, jkNode, catchNode, brokerNode, uplinkNode], f);
    const up = helper.getNode('up') as TestNode;
    const state = `${BASE}/jk_bms_pack1/state`;
    await waitFor(() => typeof ha?.json(state)?.voltage === 'number' && ha.configs().has(configTopic('switch', 'jk_bms_pack1_charge_enabled')), 20_000, 'the JK pack in Home Assistant');
    for (const e of ['bacsSystem', 'bacsString', 'jupiterUnit']) up.receive({ ...fixtures[e], timestamp: Date.now() });
    await waitFor(() => ha?.json(`${BASE}/bacs_battery_room/state`) !== undefined && ha.json(`${BASE}/jupiter_hvdc_rack_1/state`) !== undefined, 10_000, 'BACS and Jupiter states');
    await new Promise((r) => setTimeout(r, 300));

    const configs = ha.configs();
    for (const [topic, config] of configs) {
      expect(discoveryProblems(topic, config, PREFIX), topic).to.deep.equal([]);
      const key = templateKey(config.value_template);
      const stateTopic = String(config.state_topic);
      if (stateTopic.endsWith('/state')) expect(ha.json(stateTopic), `${topic} reads ${String(key)}`).to.have.property(key as string);
    }
    expect(configs.get(configTopic('sensor', 'jk_bms_pack1_voltage'))).to.deep.include({ device_class: 'voltage', unit_of_measurement: 'V', state_class: 'measurement', unique_id: 'dcpower_e1_jk_bms_pack1_voltage' });
    expect(configs.get(configTopic('sensor', 'jk_bms_pack1_energy_charged'))).to.deep.include({ device_class: 'energy', state_class: 'total_increasing', unit_of_measurement: 'kWh' });
    expect(configs.get(configTopic('sensor', 'bacs_battery_room_strings_1_current'))).to.deep.include({ device_class: 'current', unit_of_measurement: 'A' });
    expect(configs.get(configTopic('sensor', 'bacs_battery_room_modules_1_voltage'))).to.deep.include({ device_class: 'voltage' });
    expect(configs.get(configTopic('sensor', 'jupiter_hvdc_rack_1_soc'))).to.deep.include({ device_class: 'battery', unit_of_measurement: '%' });
    expect(configs.get(configTopic('switch', 'jk_bms_pack1_charge_enabled'))).to.deep.include({ command_topic: `${BASE}/jk_bms_pack1/set/charge_enabled` });
    expect(configs.has(configTopic('switch', 'jk_bms_pack1_discharge_enabled')), 'discharge is not allowed').to.equal(false);
    expect(ha.last(`${BASE}/jk_bms_pack1/availability`)?.toString()).to.equal('online');
    expect(ha.last(`${BASE}/bridge/availability`)?.toString()).to.equal('online');
    // retained: a Home Assistant that connects later gets every config
    const late = await HomeAssistantStandIn.connect(broker.port);
    await waitFor(() => late.configs().size >= configs.size, 10_000, 'the retained configs').finally(() => late.close());
    expect(late.messages.filter((m) => m.topic.endsWith('/config')).every((m) => m.retain)).to.equal(true);

    // Home Assistant restarts: its birth message brings every config again (one within a second of the node's own
    // births is taken for a retained one and ignored: the node has just published everything)
    await new Promise((r) => setTimeout(r, 1_100));
    const before = ha.messages.length;
    await ha.publish(`${PREFIX}/status`, 'online');
    await waitFor(() => (ha?.messages.slice(before).filter((m) => m.topic.endsWith('/config')).length ?? 0) >= configs.size, 10_000, 'configs after the birth message');

    // a switch command reaches the jk-bms node's write path, is written, read back and shown
    const caught = caughtMessages();
    await ha.publish(`${BASE}/jk_bms_pack1/set/charge_enabled`, 'OFF');
    await waitFor(() => sim.getPack(1)?.chargeEnabled === false && ha?.json(state)?.charge_enabled === false, 10_000, `the charge switch off (caught: ${caught.join(' | ')})`);

    // a redeploy: the same config topics and unique ids
    const ids = (from: number): string[] => {
      const out = new Set<string>();
      for (const m of ha?.messages.slice(from) ?? []) if (m.topic.endsWith('/config') && m.payload.length > 0) out.add(`${m.topic} ${String((JSON.parse(m.payload.toString()) as { unique_id?: string }).unique_id)}`);
      return [...out].sort();
    };
    const jkIds = ids(0).filter((l) => l.includes('jk_bms_pack1'));
    const mark = ha.messages.length;
    await helper.setFlows(f);
    await waitFor(() => ids(mark).filter((l) => l.includes('jk_bms_pack1')).length >= jkIds.length, 20_000, 'the JK configs after the redeploy');
    expect(ids(mark).filter((l) => l.includes('jk_bms_pack1'))).to.deep.equal(jkIds);

    // the pack goes silent (it stops answering on the bus): unavailable, not old numbers
    sim.removePack(1);
    await waitFor(() => ha?.last(`${BASE}/jk_bms_pack1/availability`)?.toString() === 'offline', 20_000, 'the dead pack unavailable');
  });

  it('writes off: no switch, a command is refused by the uplink and by the jk-bms node; a pack gone after a redeploy is removed', async () => {
    ha = await HomeAssistantStandIn.connect(broker.port);
    await helper.load([busNode, jkNode, catchNode, brokerNode, uplinkNode], flow(broker.port, jkPort, { addresses: '1-2', allowWrites: true, allowCharge: true }, { edge: 'e1', haForgetAfter: 1 }));
    await waitFor(() => ha?.configs().has(configTopic('switch', 'jk_bms_pack2_charge_enabled')) === true && ha.configs().has(configTopic('sensor', 'jk_bms_pack2_voltage')), 20_000, 'both packs with their switches');
    const pack2 = [...(ha.configs().keys())].filter((t) => t.includes('jk_bms_pack2_'));

    // redeploy: pack 1 only, writes off
    await helper.setFlows(flow(broker.port, jkPort, { addresses: '1', allowWrites: false }, { edge: 'e1', haForgetAfter: 1 }));
    const warned = (): string[] => ((helper.getNode('up') as TestNode).warn.getCalls().map((c) => String(c.args[0])));
    await waitFor(() => pack2.every((t) => ha?.last(t)?.length === 0), 15_000, 'pack 2 removed (empty retained configs)').catch((err: Error) => {
      const seen = ha?.messages.filter((m) => m.topic.includes('pack2')).slice(-3).map((m) => `${m.topic}=${m.payload.length}`);
      throw new Error(`${err.message}: ${JSON.stringify(seen)} warn ${warned().join('|')} status ${JSON.stringify((helper.getNode('up') as TestNode).status.getCalls().slice(-2).map((c) => c.args[0]))}`);
    });
    await waitFor(() => ha?.last(configTopic('switch', 'jk_bms_pack1_charge_enabled'))?.length === 0, 10_000, 'the switch removed');
    expect(ha.configs().has(configTopic('binary_sensor', 'jk_bms_pack1_charge_enabled')), 'the value as a binary sensor').to.equal(true);
    expect(ha.configs().has(configTopic('sensor', 'jk_bms_pack1_voltage')), 'pack 1 stays').to.equal(true);

    // a command anyway (a stale dashboard): the uplink passes nothing on
    const caught = caughtMessages();
    await ha.publish(`${BASE}/jk_bms_pack1/set/charge_enabled`, 'OFF');
    await waitFor(() => warned().some((w) => w.includes('haRefused')), 5_000, 'the refusal warned');
    expect(sim.getPack(1)?.chargeEnabled).to.equal(true);
    // and the command the uplink would send is refused by the jk-bms node's own allow-list
    (helper.getNode('jk1') as TestNode).receive({ topic: 'jk/pack1/command', command: { set: 'chargeEnabled', value: false, address: 1 }, haDevice: 'jk_bms_pack1' });
    await waitFor(() => caught.some((m) => /writesOff|writes are off/.test(m)), 5_000, `the jk-bms node refusing (${caught.join(' | ')})`);
    expect(sim.getPack(1)?.chargeEnabled).to.equal(true);
  });
});
