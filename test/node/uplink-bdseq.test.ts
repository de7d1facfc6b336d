/**
 * The Sparkplug bdSeq of dcpower-uplink across a full Node-RED restart: with a localfilesystem context store the
 * first CONNECT after the restart carries the next bdSeq; with the in-memory default store it starts over (which
 * shows the restart really forgets what was in memory). A real mosquitto and a subscriber see the births.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as mqtt from 'mqtt';
import * as os from 'os';
import * as path from 'path';
import brokerNode = require('../../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../../nodes/uplink/dcpower-uplink');
import { decodeSparkplug, longToNumber } from '../../nodes/uplink/sparkplug';
import { Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { helper } from './red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const context = require('@node-red/runtime/lib/nodes/context') as { init(s: unknown): void; load(): Promise<unknown>; close(): Promise<unknown> };
const clearFlows = (): Promise<void> => (helper as unknown as { clearFlows(): Promise<void> }).clearFlows();

/** A module function that loads the configured context stores, as the runtime does at start. */
const loadStores = (): void => context.load() as unknown as void;

function flow(port: number, edge: string, store: string): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'bdSeq' },
    { id: 'broker', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port, protocolVersion: '4', keepalive: 30 },
    { id: 'up', z: 'tab', type: 'dcpower-uplink', broker: 'broker', format: 'sparkplug', group: 'gbd', edge, alarmsDevice: 'alarms', bufferSize: 10, bdSeqStore: store, wires: [] },
  ];
}

describe('dcpower-uplink bdSeq across a Node-RED restart', function () {
  this.timeout(90_000);
  let broker: Mosquitto;
  let dir: string;
  let sub: mqtt.MqttClient;
  const nbirths: Array<{ edge: string; bdSeq: number }> = [];

  before(async function () {
    if (!mosquittoAvailable()) throw new Error('mosquitto is not installed (.ci/run installs it)');
    broker = new Mosquitto(await freeTcpPort());
    await broker.start();
    sub = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 200 });
    sub.on('error', () => undefined);
    sub.on('message', (topic, payload) => {
      const levels = topic.split('/');
      if (levels[2] !== 'NBIRTH') return;
      const bd = decodeSparkplug(payload)?.metrics?.find((m) => m.name === 'bdSeq');
      if (bd) nbirths.push({ edge: levels[3], bdSeq: longToNumber(bd.value) });
    });
    await new Promise<void>((resolve, reject) => sub.once('connect', () => sub.subscribe('spBv1.0/gbd/#', { qos: 1 }, (err) => (err ? reject(err) : resolve()))));
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplink-ctx-'));
    helper.settings({
      contextStorage: {
        default: { module: 'memory' },
        file: { module: 'localfilesystem', config: { dir, flushInterval: 1 } },
      },
    });
  });

  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  after(async () => {
    await new Promise<void>((resolve) => (sub ? sub.end(true, {}, () => resolve()) : resolve()));
    await broker?.dispose();
  });

  /** stop the flows, flush and close the context stores, and start Node-RED again from the files */
  async function restart(edge: string, store: string): Promise<void> {
    await clearFlows();
    await context.close();
    context.init({});
    await helper.unload();
    await helper.load([loadStores, brokerNode, uplinkNode], flow(broker.port, edge, store));
  }

  const births = (edge: string): number[] => nbirths.filter((b) => b.edge === edge).map((b) => b.bdSeq);

  it('a persistent store: the first CONNECT after a restart uses the next bdSeq', async () => {
    await helper.load([loadStores, brokerNode, uplinkNode], flow(broker.port, 'persist', 'file'));
    await waitFor(() => births('persist').length === 1, 20_000, 'the first NBIRTH');
    const first = births('persist')[0];
    // a second run, then a third: the count goes on each time
    await restart('persist', 'file');
    await waitFor(() => births('persist').length === 2, 20_000, 'the NBIRTH after the restart');
    await restart('persist', 'file');
    await waitFor(() => births('persist').length === 3, 20_000, 'the NBIRTH after the second restart');
    expect(births('persist')).to.deep.equal([first, (first + 1) % 256, (first + 2) % 256]);
    const files = fs.readdirSync(dir, { recursive: true }) as string[];
    expect(files.some((f) => f.endsWith('.json')), 'the store wrote its file').to.equal(true);
  });

  it('the in-memory default store forgets it: the count starts over after a restart', async () => {
    await helper.load([loadStores, brokerNode, uplinkNode], flow(broker.port, 'memory', ''));
    await waitFor(() => births('memory').length === 1, 20_000, 'the first NBIRTH');
    await restart('memory', '');
    await waitFor(() => births('memory').length === 2, 20_000, 'the NBIRTH after the restart');
    expect(births('memory')).to.deep.equal([0, 0]);
  });
});
