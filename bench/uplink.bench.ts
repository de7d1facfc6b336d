/**
 * MQTT uplink throughput, `node dist/bench/uplink.bench.js`:
 * 1. readings/s from the node's input to a subscriber through a real mosquitto (best of 3 interleaved rounds of
 *    3,000 messages each): `dcpower-uplink` (plain JSON,
 *    QoS 0) beside the core `mqtt out` node publishing the same payload on the same broker in the same run, and
 *    beside a bare mqtt.js client publishing the same bytes (the ceiling: no Node-RED in the path);
 * 2. Sparkplug DDATA/s for a 16-cell JK reading through the whole profile (accept, change detection, aliases,
 *    encode) beside Eclipse Tahu's bare `encodePayload` of the same metrics.
 */
import type { EventEmitter } from 'events';
import * as mqtt from 'mqtt';
import brokerNode = require('../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../nodes/uplink/dcpower-uplink');
import { classify } from '../nodes/uplink/input';
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

async function main(): Promise<void> {
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
