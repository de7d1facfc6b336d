/**
 * MQTT uplink throughput, `node dist/bench/uplink.bench.js`:
 * 1. readings/s from the node's input to a subscriber through a real mosquitto (best of 3 interleaved rounds of
 *    3,000 messages each): `dcpower-uplink` (plain JSON,
 *    QoS 0) beside the core `mqtt out` node publishing the same payload on the same broker in the same run, and
 *    beside a bare mqtt.js client publishing the same bytes (the ceiling: no Node-RED in the path);
 * 2. Sparkplug DDATA/s for a 16-cell JK reading through the whole profile (accept, change detection, aliases,
 *    encode) beside Eclipse Tahu's bare `encodePayload` of the same metrics;
 * 3. Home Assistant mode for 15 JK packs, a BACS with 512 modules and 100 Jupiter units (envelopes of the example
 *    flows, test/fixtures/ha-envelopes.json, scaled up): messages and bytes per poll beside the plain JSON mode,
 *    CPU per poll, the size of the full discovery set, and the time from Home Assistant's birth message to the last
 *    config at a subscriber through mosquitto, beside a bare mqtt.js client publishing the same packets.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { EventEmitter } from 'events';
import * as mqtt from 'mqtt';
import brokerNode = require('../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../nodes/uplink/dcpower-uplink');
import { classify, UplinkInput } from '../nodes/uplink/input';
import { HomeAssistantProfile } from '../nodes/uplink/home-assistant';
import type { Packet } from '../nodes/uplink/profile';
import { UnsProfile } from '../nodes/uplink/uns';
import { encodeSparkplug, flattenReading, SparkplugProfile } from '../nodes/uplink/sparkplug';
import { Mosquitto } from '../test/helpers/mosquitto';
import { freeTcpPort, waitFor } from '../test/helpers/ports';
import { Comparison, opsPerSecond, report } from './report';

interface TestNode extends EventEmitter {
  receive(msg: object): void;
}
interface Helper {
  init(nodeRedPath: string, settings?: object): void;
  load(modules: unknown[], flow: object[], credentials?: object): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode | null;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const helper = require('node-red-node-test-helper') as Helper;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const coreMqtt = require('@node-red/nodes/core/network/10-mqtt.js') as unknown;
helper.init(require.resolve('node-red'), { logging: { console: { level: 'off' } } });

const COUNT = 3_000;
const ROUNDS = 3;

function reading(i: number): Record<string, unknown> {
  const cellVoltages = Array.from({ length: 16 }, (_, c) => 3.3 + ((i + c) % 50) / 1000);
  return { voltage: 52.8 + (i % 10) / 10, current: -10 + (i % 7), soc: 80, cellVoltages, mosTemperature: 30 + (i % 3) };
}

function envelope(i: number): Record<string, unknown> {
  return {
    topic: 'jk/pack1',
    payload: reading(i),
    device: { kind: 'jk-bms', name: 'pack1', address: 1 },
    quality: 'good',
    timestamp: Date.now(),
    units: { voltage: 'V', current: 'A', soc: '%', cellVoltages: 'V', mosTemperature: '°C' },
    alarms: [],
  };
}

async function endToEnd(port: number, filter: string, flow: object[], modules: unknown[], send: (node: TestNode, i: number) => void): Promise<number> {
  const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clean: true, reconnectPeriod: 0 });
  let received = 0;
  sub.on('message', () => received++);
  await new Promise<void>((resolve, reject) => sub.once('connect', () => sub.subscribe(filter, { qos: 0 }, (err) => (err ? reject(err) : resolve()))));
  await helper.load(modules, flow);
  const node = helper.getNode('n') as TestNode;
  await new Promise((r) => setTimeout(r, 1000)); // connected, births out
  received = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) send(node, i);
  await waitFor(() => received >= COUNT, 120_000, `${COUNT} messages (got ${received})`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await helper.unload();
  await new Promise<void>((resolve) => sub.end(true, {}, () => resolve()));
  return COUNT / seconds;
}

async function rawPublish(port: number, payload: Buffer): Promise<number> {
  const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clean: true, reconnectPeriod: 0 });
  let received = 0;
  sub.on('message', () => received++);
  await new Promise<void>((resolve, reject) => sub.once('connect', () => sub.subscribe('bench/raw/#', { qos: 0 }, (err) => (err ? reject(err) : resolve()))));
  const pub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((resolve) => pub.once('connect', () => resolve()));
  const start = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) pub.publish('bench/raw/pack1', payload, { qos: 0 });
  await waitFor(() => received >= COUNT, 120_000, `${COUNT} raw messages (got ${received})`);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await new Promise<void>((resolve) => pub.end(true, {}, () => resolve()));
  await new Promise<void>((resolve) => sub.end(true, {}, () => resolve()));
  return COUNT / seconds;
}

type Envelope = Record<string, unknown> & { payload: Record<string, unknown>; device: Record<string, unknown>; topic: string; units: Record<string, string> };

/** one poll of the bench site: 15 JK packs, a BACS with 512 modules in 2 strings, 100 Jupiter units */
function site(poll: number): Envelope[] {
  const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '../test/fixtures/ha-envelopes.json'), 'utf8')) as Record<string, Envelope>;
  const now = Date.now() + poll * 10_000;
  const wobble = (v: unknown, i: number): unknown => (typeof v === 'number' ? Math.round((v + ((poll + i) % 7) * 0.01) * 1000) / 1000 : v);
  const out: Envelope[] = [];
  for (let p = 1; p <= 15; p++) {
    const e = JSON.parse(JSON.stringify(fx.jkPack)) as Envelope;
    e.topic = `jk/pack${p}`;
    e.device = { ...e.device, name: `pack${p}`, address: p, serial: `SIM${String(p).padStart(8, '0')}` };
    e.payload.cellVoltages = (e.payload.cellVoltages as number[]).map((v, i) => wobble(v, i + p));
    e.payload.voltage = wobble(e.payload.voltage, p);
    e.timestamp = now;
    out.push(e);
  }
  const template = (fx.bacsString.payload.modules as Array<Record<string, unknown>>)[0];
  const modules = Array.from({ length: 512 }, (_, i) => ({ ...template, id: i + 1, string: i < 256 ? 1 : 2, position: (i % 256) + 1, voltage: wobble(template.voltage, i), temperature: wobble(template.temperature, i) }));
  const sys = fx.bacsSystem.payload;
  out.push({
    ...fx.bacsSystem,
    timestamp: now,
    payload: { ...sys, moduleCount: 512, strings: [1, 2].map((index) => ({ index, current: 1, voltage: 3480, averageVoltage: 13.6, rippleCurrent: 1 })), modules },
    units: { ...fx.bacsSystem.units, ...Object.fromEntries(Object.entries(fx.bacsString.units).filter(([k]) => k.startsWith('modules.'))) },
  });
  for (let u = 1; u <= 100; u++) {
    const e = JSON.parse(JSON.stringify(fx.jupiterUnit)) as Envelope;
    e.topic = `jupiter/rack-${u}`;
    e.device = { ...e.device, name: `rack-${u}`, address: `10.0.${Math.floor(u / 250)}.${u % 250}:161` };
    e.payload.batteryVoltage = wobble(e.payload.batteryVoltage, u);
    e.timestamp = now;
    out.push(e);
  }
  return out;
}

function inputsOf(envelopes: Envelope[]): UplinkInput[] {
  return envelopes.map((e) => {
    const r = classify(e, Date.now());
    if (!r.ok) throw new Error(r.error);
    return r.value;
  });
}

const bytesOf = (packets: Packet[]): number => packets.reduce((n, p) => n + p.topic.length + p.payload.length, 0);

/** Home Assistant mode against plain JSON, per poll and for the discovery set; prints its own figures too. */
async function homeAssistant(port: number, comparisons: Comparison[]): Promise<void> {
  const polls = [0, 1, 2, 3, 4].map((p) => inputsOf(site(p)));
  const devices = polls[0].length;
  const ha = new HomeAssistantProfile({ prefix: 'homeassistant', edge: 'bench', forgetAfterMs: 600_000, startedAt: Date.now() });
  const json = new UnsProfile({ enterprise: 'bench', site: 's', edge: 'e', qos: 0, retain: true, splitValues: false });
  const t0 = process.hrtime.bigint();
  const discovery = polls[0].flatMap((i) => ha.accept(i, true, Date.now()));
  const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const configs = discovery.filter((p) => p.topic.endsWith('/config'));
  polls[0].forEach((i) => json.accept(i));
  // steady polls: CPU and traffic per poll, best of the later polls
  let haMs = Infinity;
  let jsonMs = Infinity;
  let haPoll: Packet[] = [];
  let jsonPoll: Packet[] = [];
  for (const poll of polls.slice(1)) {
    const a = process.hrtime.bigint();
    haPoll = poll.flatMap((i) => ha.accept(i, true, Date.now()));
    haMs = Math.min(haMs, Number(process.hrtime.bigint() - a) / 1e6);
    const b = process.hrtime.bigint();
    jsonPoll = poll.flatMap((i) => json.accept(i));
    jsonMs = Math.min(jsonMs, Number(process.hrtime.bigint() - b) / 1e6);
  }
  process.stdout.write(
    `Home Assistant site: ${devices} devices (15 JK packs, 1 BACS with 512 modules, 100 Jupiter units), ${configs.length} discovery configs, ` +
      `${(bytesOf(configs) / 1e6).toFixed(2)} MB; first poll with discovery ${firstMs.toFixed(1)} ms CPU
` +
      `per poll: Home Assistant ${haPoll.length} messages ${bytesOf(haPoll)} bytes ${haMs.toFixed(1)} ms CPU; plain JSON ${jsonPoll.length} messages ${bytesOf(jsonPoll)} bytes ${jsonMs.toFixed(1)} ms CPU
`,
  );
  comparisons.push({ name: 'Home Assistant messages per poll (116 devices)', measured: haPoll.length, reference: jsonPoll.length, referenceName: 'plain JSON', unit: 'msg', higherIsBetter: false });
  comparisons.push({ name: 'Home Assistant bytes per poll (116 devices)', measured: bytesOf(haPoll), reference: bytesOf(jsonPoll), referenceName: 'plain JSON', unit: 'B', higherIsBetter: false });
  comparisons.push({ name: 'Home Assistant CPU per poll (accept)', measured: haMs, reference: jsonMs, referenceName: 'plain JSON', unit: 'ms', higherIsBetter: false });

  // the full discovery set through mosquitto, from Home Assistant's birth message to the last config received
  const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clean: true, reconnectPeriod: 0 });
  let received = 0;
  sub.on('message', (topic) => {
    if (topic.endsWith('/config')) received++;
  });
  await new Promise<void>((resolve, reject) => sub.once('connect', () => sub.subscribe('homeassistant/#', { qos: 1 }, (err) => (err ? reject(err) : resolve()))));
  await helper.load([brokerNode, uplinkNode], [
    { id: 'b', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port, protocolVersion: '5' },
    { id: 'n', type: 'dcpower-uplink', broker: 'b', format: 'homeassistant', edge: 'bench', haPrefix: 'homeassistant', haForgetAfter: 600, bufferSize: 100_000, wires: [] },
  ]);
  const node = helper.getNode('n') as TestNode;
  await new Promise((r) => setTimeout(r, 1000));
  for (const e of site(0)) node.receive(e);
  await waitFor(() => received >= configs.length + 1, 120_000, `the discovery set (got ${received} of ${configs.length + 1})`);
  await new Promise((r) => setTimeout(r, 1500)); // past the birth debounce
  let birthMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    received = 0;
    const start = process.hrtime.bigint();
    sub.publish('homeassistant/status', 'online', { qos: 1 });
    await waitFor(() => received >= configs.length + 1, 120_000, `the discovery set again (got ${received})`);
    birthMs = Math.min(birthMs, Number(process.hrtime.bigint() - start) / 1e6);
    await new Promise((r) => setTimeout(r, 1200));
  }
  await helper.unload();
  // the same packets from a bare mqtt.js client
  const pub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((resolve) => pub.once('connect', () => resolve()));
  let bareMs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    received = 0;
    const start = process.hrtime.bigint();
    for (const p of configs) pub.publish(p.topic, p.payload, { qos: 1, retain: true });
    await waitFor(() => received >= configs.length, 120_000, `bare configs (got ${received})`);
    bareMs = Math.min(bareMs, Number(process.hrtime.bigint() - start) / 1e6);
  }
  // leave the broker as it was
  for (const p of configs) pub.publish(p.topic, Buffer.alloc(0), { qos: 1, retain: true });
  await new Promise<void>((resolve) => pub.end(false, {}, () => resolve()));
  await new Promise<void>((resolve) => sub.end(true, {}, () => resolve()));
  comparisons.push({ name: `Home Assistant full discovery set (${configs.length + 1} configs), birth to last received`, measured: birthMs, reference: bareMs, referenceName: 'bare mqtt.js, same packets', unit: 'ms', higherIsBetter: false });
}

async function main(): Promise<void> {
  if (process.argv.includes('--ha-only')) {
    const only = new Mosquitto(await freeTcpPort());
    await only.start();
    const list: Comparison[] = [];
    try {
      await homeAssistant(only.port, list);
    } finally {
      await only.dispose();
    }
    report(list);
    return;
  }
  const broker = new Mosquitto(await freeTcpPort());
  await broker.start();
  const comparisons: Comparison[] = [];
  try {
    const oursOnce = (): Promise<number> => endToEnd(
      broker.port,
      'bench/s/jk-bms/#',
      [
        { id: 'b', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port: broker.port, protocolVersion: '5' },
        { id: 'n', type: 'dcpower-uplink', broker: 'b', format: 'json', enterprise: 'bench', site: 's', edge: 'e', qos: '0', retain: false, bufferSize: 100_000, wires: [] },
      ],
      [brokerNode, uplinkNode],
      (node, i) => node.receive(envelope(i)),
    );
    const coreOnce = (): Promise<number> => endToEnd(
      broker.port,
      'bench/core/#',
      [
        { id: 'b', type: 'mqtt-broker', broker: '127.0.0.1', port: broker.port, protocolVersion: '5', keepalive: 60, cleansession: true, autoConnect: true },
        { id: 'n', type: 'mqtt out', broker: 'b', topic: 'bench/core/pack1', qos: '0', retain: 'false', wires: [] },
      ],
      [coreMqtt],
      (node, i) => {
        const e = envelope(i);
        node.receive({ payload: { timestamp: e.timestamp, quality: e.quality, values: e.payload, units: e.units, device: e.device, alarms: e.alarms } });
      },
    );
    // interleaved rounds, best of each: on a shared machine the load changes from one second to the next
    let ours = 0;
    let core = 0;
    for (let round = 0; round < ROUNDS; round++) {
      ours = Math.max(ours, await oursOnce());
      core = Math.max(core, await coreOnce());
    }
    let raw = 0;
    for (let round = 0; round < ROUNDS; round++) raw = Math.max(raw, await rawPublish(broker.port, Buffer.from(JSON.stringify(envelope(0)))));
    comparisons.push({
      name: 'JSON readings/s, input to subscriber via mosquitto',
      measured: ours,
      reference: raw,
      referenceName: 'bare mqtt.js publish',
      unit: 'msg/s',
      higherIsBetter: true,
    });
    comparisons.push({
      name: 'JSON readings/s, input to subscriber via mosquitto',
      measured: ours,
      reference: core,
      referenceName: 'core mqtt out',
      unit: 'msg/s',
      higherIsBetter: true,
      target: { ratio: 0.8, comparison: '>=' },
    });
    await homeAssistant(broker.port, comparisons);
  } finally {
    await broker.dispose();
  }

  // Sparkplug profile vs the bare encoder, same metrics, changing values so every reading is a DDATA
  const profile = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
  profile.will(Date.now());
  profile.births(Date.now());
  const inputs = Array.from({ length: 64 }, (_, i) => {
    const r = classify(envelope(i), Date.now());
    if (!r.ok) throw new Error(r.error);
    return r.value;
  });
  let k = 0;
  const metricSets = inputs.map((inp) => (inp.type === 'reading' ? flattenReading(inp.reading, inp.units) : []));
  let seq = 0;
  const oursRound = (): number =>
    opsPerSecond((n) => {
      for (let i = 0; i < n; i++) for (const item of profile.accept(inputs[k++ % 64], true)) profile.render(item, false, Date.now());
    }, 700);
  const bareRound = (): number =>
    opsPerSecond((n) => {
      for (let i = 0; i < n; i++) {
        const metrics = metricSets[k++ % 64].map((m, a) => ({ alias: a + 2, type: m.type, value: m.value, timestamp: Date.now() }));
        encodeSparkplug({ timestamp: Date.now(), seq: seq++ % 256, metrics });
      }
    }, 700);
  let spOurs = 0;
  let spBare = 0;
  for (let round = 0; round < ROUNDS; round++) {
    spOurs = Math.max(spOurs, oursRound());
    spBare = Math.max(spBare, bareRound());
  }
  comparisons.push({
    name: 'Sparkplug DDATA/s, 16-cell JK reading (accept+diff+encode)',
    measured: spOurs,
    reference: spBare,
    referenceName: 'bare sparkplug-payload encode',
    unit: 'msg/s',
    higherIsBetter: true,
    target: { ratio: 0.5, comparison: '>=' },
  });
  report(comparisons);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
    process.exit(1);
  },
);
