/**
 * End to end against a real mosquitto: the uplink node in a real Node-RED runtime (node-red-node-test-helper)
 * publishes, a subscriber (the `mqtt` package) checks what arrives; connections are cut without DISCONNECT
 * (through a proxy) and the broker is restarted on the same port.
 */
import { expect } from 'chai';
import * as mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import brokerNode = require('../../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../../nodes/uplink/dcpower-uplink');
import { UplinkConnection } from '../../nodes/uplink/connection';
import type { Packet } from '../../nodes/uplink/profile';
import { decodeSparkplug, encodeSparkplug, longToNumber } from '../../nodes/uplink/sparkplug';
import { UnsProfile } from '../../nodes/uplink/uns';
import { CuttableProxy, Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';

import { helper, TestNode } from '../node/red-helper';

interface Received {
  topic: string;
  payload: Buffer;
}

class Subscriber {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {}

  /** a persistent session (QoS 1, clean false): after a broker restart it gets what was queued for it */
  static async connect(port: number, filter: string, clientId: string, auth: { username?: string; password?: string } = {}): Promise<Subscriber> {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 200, connectTimeout: 5_000, ...auth });
    client.on('error', () => undefined);
    const sub = new Subscriber(client);
    client.on('message', (topic, payload) => sub.messages.push({ topic, payload }));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
    return sub;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  json(topic: string): Array<Record<string, unknown>> {
    return this.on(topic).map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }
}

interface SpMessage {
  index: number;
  type: string;
  device?: string;
  seq?: number;
  bdSeq?: number;
  metrics: Array<{ name?: string; value: unknown; isHistorical?: boolean }>;
}

function sparkplugView(sub: Subscriber, group: string, edge: string): SpMessage[] {
  const out: SpMessage[] = [];
  sub.messages.forEach((m, index) => {
    const levels = m.topic.split('/');
    if (levels[0] !== 'spBv1.0' || levels[1] !== group || levels[3] !== edge) return;
    const p = decodeSparkplug(m.payload);
    if (!p) throw new Error(`undecodable ${m.topic}`);
    const metrics = (p.metrics ?? []).map((x) => ({
      name: x.name ?? undefined,
      value: typeof x.value === 'object' && x.value !== null ? longToNumber(x.value) : x.value,
      isHistorical: x.isHistorical ?? undefined,
    }));
    const bd = metrics.find((x) => x.name === 'bdSeq');
    out.push({
      index,
      type: levels[2],
      device: levels[4],
      seq: p.seq === undefined || p.seq === null ? undefined : longToNumber(p.seq),
      bdSeq: bd ? Number(bd.value) : undefined,
      metrics,
    });
  });
  return out;
}

/**
 * What a Sparkplug host application checks: every DDATA/DDEATH after a DBIRTH of its device that followed the
 * latest NBIRTH, and seq increasing by one (mod 256) from the NBIRTH's 0 within one birth.
 */
function checkSparkplugOrder(view: SpMessage[]): void {
  let born = false;
  let seq = -1;
  const devices = new Set<string>();
  for (const m of view) {
    if (m.type === 'NCMD' || m.type === 'DCMD') continue;
    if (m.type === 'NBIRTH') {
      expect(m.seq, 'NBIRTH seq').to.equal(0);
      born = true;
      seq = 0;
      devices.clear();
      continue;
    }
    if (m.type === 'NDEATH') {
      born = false;
      continue;
    }
    expect(born, `${m.type} ${m.device ?? ''} at ${m.index} after an NBIRTH`).to.equal(true);
    expect(m.seq, `${m.type} seq after ${seq}`).to.equal((seq + 1) % 256);
    seq = m.seq ?? -1;
    if (m.type === 'DBIRTH' && m.device) devices.add(m.device);
    if ((m.type === 'DDATA' || m.type === 'DDEATH') && m.device) {
      expect(devices.has(m.device), `${m.type} of ${m.device} at ${m.index} only after its DBIRTH`).to.equal(true);
      if (m.type === 'DDEATH') devices.delete(m.device);
    }
  }
}

const NOW = (): number => Date.now();

function envelope(name: string, voltage: number, quality = 'good'): object {
  return {
    topic: `jk/${name}`,
    payload: { voltage, soc: 80, cellVoltages: [3.3, 3.31] },
    device: { kind: 'jk-bms', name, address: 1 },
    quality,
    timestamp: NOW(),
    units: { voltage: 'V', soc: '%', cellVoltages: 'V' },
    alarms: [],
  };
}

function flow(brokerPort: number, uplink: Record<string, unknown>): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'uplink test' },
    { id: 'broker', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port: brokerPort, protocolVersion: '5', keepalive: 30 },
    {
      id: 'up',
      z: 'tab',
      type: 'dcpower-uplink',
      broker: 'broker',
      format: 'json',
      enterprise: 'dcpower-test',
      site: 's1',
      area: '',
      edge: 'e1',
      group: 'g1',
      qos: '1',
      retain: true,
      splitValues: false,
      alarmsDevice: 'alarms',
      bufferSize: 100,
      wires: [],
      ...uplink,
    },
    { id: 'up-catch', z: 'tab', type: 'catch', scope: ['up'], uncaught: false, wires: [['up-caught']] },
    { id: 'up-caught', z: 'tab', type: 'helper' },
  ];
}

/** what a Catch node scoped to the uplink received */
function catcher(): Array<{ error?: { message?: string } }> {
  const got: Array<{ error?: { message?: string } }> = [];
  (helper.getNode('up-caught') as TestNode).on('input', (msg: { error?: { message?: string } }) => got.push(msg));
  return got;
}

function lastStatus(node: TestNode): { fill?: string; shape?: string; text?: string } {
  const calls = node.status.getCalls();
  return calls.length > 0 ? (calls[calls.length - 1].args[0] as { fill?: string; shape?: string; text?: string }) : {};
}

describe('dcpower-uplink against a real mosquitto', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  let proxy: CuttableProxy;
  const subscribers: Subscriber[] = [];

  before(async function () {
    if (!mosquittoAvailable()) throw new Error('mosquitto is not installed (.ci/run installs it)');
    broker = new Mosquitto(await freeTcpPort());
    await broker.start();
    proxy = new CuttableProxy(broker.port);
    await proxy.start();
  });

  afterEach(async () => {
    await helper.unload();
    proxy.accepting = true;
    while (subscribers.length > 0) await subscribers.pop()?.close();
  });

  after(async () => {
    await proxy?.close();
    await broker?.dispose();
  });

  it('JSON: readings and alarms retained under the topic tree, offline will on a cut connection, births again after reconnect', async () => {
    const sub = await Subscriber.connect(broker.port, 'dcpower-test/#', 'test-json');
    subscribers.push(sub);
    await helper.load([brokerNode, uplinkNode], flow(proxy.port, {}));
    const node = helper.getNode('up') as TestNode;
    const caught = catcher();
    const state = 'dcpower-test/s1/edge/e1/state';
    await waitFor(() => sub.json(state).some((s) => s.state === 'online'), 20_000, 'state online');

    node.receive(envelope('pack1', 53.2));
    const device = 'dcpower-test/s1/jk-bms/pack1';
    await waitFor(() => sub.json(device).length > 0, 10_000, 'the reading');
    const reading = sub.json(device)[0];
    expect(reading).to.deep.include({ quality: 'good', values: { voltage: 53.2, soc: 80, cellVoltages: [3.3, 3.31] } });
    expect(reading.device).to.deep.include({ kind: 'jk-bms', name: 'pack1' });
    expect(lastStatus(node)).to.include({ fill: 'green', shape: 'dot' });

    node.receive({ payload: { id: 'jk/pack1/cellHigh/2', rule: 'cellHigh', topic: 'jk/pack1', index: 2, state: 'unack_active', active: true, acknowledged: false, severity: 'major', value: 3.66, since: NOW(), text: 'cell 2 high' } });
    const alarmTopic = 'dcpower-test/s1/alarms/jk/pack1/cellHigh/2';
    await waitFor(() => sub.json(alarmTopic).length > 0, 10_000, 'the alarm event');
    expect(sub.json(alarmTopic)[0]).to.deep.include({ state: 'unack_active', active: true, severity: 'major' });

    // retained: a subscriber that comes later still gets the last values
    const late = await Subscriber.connect(broker.port, 'dcpower-test/#', 'test-json-late');
    subscribers.push(late);
    await waitFor(() => late.on(device).length > 0 && late.on(alarmTopic).length > 0 && late.json(state).some((s) => s.state === 'online'), 10_000, 'retained messages');

    // a message that is not an envelope goes to Catch through done(err)
    node.receive({ payload: 'hello' });
    await waitFor(() => caught.length === 1, 5_000, 'Catch to receive the error of a bad message');
    expect(caught[0].error?.message).to.match(/not a device envelope/);

    // cut without DISCONNECT: the broker publishes the will, the node reconnects and announces itself again
    const readingsBefore = sub.on(device).length;
    const onlineBefore = sub.json(state).filter((s) => s.state === 'online').length;
    proxy.cutAll();
    await waitFor(() => sub.json(state).some((s) => s.state === 'offline' && s.timestamp === undefined), 20_000, 'the offline will');
    await waitFor(() => sub.json(state).filter((s) => s.state === 'online').length > onlineBefore, 30_000, 'online again');
    await waitFor(() => sub.on(device).length > readingsBefore, 10_000, 'the last reading published again');
    // the lost connection reached Catch once (not once per attempt)
    await waitFor(() => caught.length === 2, 5_000, 'Catch to receive the lost connection');
    expect(caught[1].error?.message).to.contain('dcpower-uplink.errors.connection');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(caught.length).to.equal(2);
  });

  it('buffers while the broker is unreachable, drops the oldest beyond the limit and counts them, then flushes in order', async () => {
    const sub = await Subscriber.connect(broker.port, 'dcpower-test/#', 'test-buffer');
    subscribers.push(sub);
    proxy.accepting = false;
    await helper.load([brokerNode, uplinkNode], flow(proxy.port, { bufferSize: 2, site: 's2' }));
    const node = helper.getNode('up') as TestNode;
    await waitFor(() => lastStatus(node).fill === 'red', 20_000, 'red status while unreachable');
    for (let v = 1; v <= 5; v++) node.receive(envelope('pack9', v));
    // (the test runtime does not translate: the status shows the catalogue keys of the counts)
    await waitFor(() => /queued.*dropped/.test(lastStatus(node).text ?? ''), 5_000, `status with the counts (${lastStatus(node).text})`);
    // red between attempts, yellow during one: a ring either way, never the green dot
    expect(lastStatus(node).shape).to.equal('ring');
    expect(['red', 'yellow']).to.include(lastStatus(node).fill);
    // a broker that was never reachable is not an error flood: the status shows it, Catch hears of it after 30 s
    expect(node.error.getCalls().length).to.equal(0);

    proxy.accepting = true;
    const device = 'dcpower-test/s2/jk-bms/pack9';
    await waitFor(() => sub.json(device).length >= 2, 40_000, 'the buffered readings');
    expect(sub.json(device).map((r) => (r.values as { voltage: number }).voltage)).to.deep.equal([4, 5]);
    await waitFor(() => lastStatus(node).fill === 'green', 10_000, 'green status');
    expect(lastStatus(node).text).to.contain('dropped');
  });

  it('Sparkplug B: births before data, rebirth on NCMD, NDEATH on a cut connection, births after a broker restart', async () => {
    const sub = await Subscriber.connect(broker.port, 'spBv1.0/g1/#', 'test-sparkplug');
    subscribers.push(sub);
    await helper.load([brokerNode, uplinkNode], flow(proxy.port, { format: 'sparkplug' }));
    const node = helper.getNode('up') as TestNode;
    const view = (): SpMessage[] => sparkplugView(sub, 'g1', 'e1');
    const count = (type: string, device?: string): number => view().filter((m) => m.type === type && (device === undefined || m.device === device)).length;

    await waitFor(() => count('NBIRTH') === 1, 20_000, 'NBIRTH');
    const bd0 = view().find((m) => m.type === 'NBIRTH')?.bdSeq;
    expect(bd0).to.be.a('number');
    node.receive(envelope('pack1', 53.2));
    node.receive(envelope('pack1', 53.3));
    node.receive(envelope('pack2', 52.0));
    await waitFor(() => count('DBIRTH', 'pack1') === 1 && count('DDATA', 'pack1') === 1 && count('DBIRTH', 'pack2') === 1, 10_000, 'DBIRTHs and DDATA');
    const dbirth = view().find((m) => m.type === 'DBIRTH' && m.device === 'pack1');
    expect(dbirth?.metrics.map((m) => m.name)).to.include.members(['voltage', 'soc', 'cellVoltages/0', 'cellVoltages/1', 'Device/Quality']);

    // a host asks for a rebirth
    sub.client.publish('spBv1.0/g1/NCMD/e1', encodeSparkplug({ timestamp: NOW(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }) as Buffer, { qos: 0 });
    await waitFor(() => count('NBIRTH') === 2 && count('DBIRTH', 'pack1') === 2 && count('DBIRTH', 'pack2') === 2, 10_000, 'rebirth');
    expect(view().filter((m) => m.type === 'NBIRTH')[1].bdSeq).to.equal(bd0);

    // a device that goes quiet: DDEATH, and DBIRTH again when it recovers
    node.receive(envelope('pack2', 52.0, 'comm_error'));
    await waitFor(() => count('DDEATH', 'pack2') === 1, 10_000, 'DDEATH');

    // cut without DISCONNECT: the broker delivers the NDEATH will with the bdSeq of that connection
    proxy.cutAll();
    await waitFor(() => count('NDEATH') === 1, 20_000, 'NDEATH as will');
    expect(view().find((m) => m.type === 'NDEATH')?.bdSeq).to.equal(bd0);
    await waitFor(() => count('NBIRTH') === 3 && count('DBIRTH', 'pack1') === 3, 30_000, 'births after reconnect');
    const nbirths = view().filter((m) => m.type === 'NBIRTH');
    expect(nbirths[2].bdSeq).to.equal(((bd0 as number) + 1) % 256);
    expect(count('DBIRTH', 'pack2'), 'a dead device is not born again on reconnect').to.equal(2);

    // the broker restarts on the same port; values arriving meanwhile are buffered and sent as history
    await broker.stop();
    await waitFor(() => lastStatus(node).fill !== 'green', 20_000, 'the node to notice');
    node.receive(envelope('pack1', 50.1));
    node.receive(envelope('pack1', 50.2));
    await broker.start();
    await waitFor(() => count('NBIRTH') >= 4 && count('DBIRTH', 'pack1') >= 4, 60_000, 'births after the broker restart');
    await waitFor(() => view().some((m) => m.type === 'DDATA' && m.metrics.some((x) => x.isHistorical === true)), 10_000, 'historical DDATA');
    const last = view().filter((m) => m.type === 'DBIRTH' && m.device === 'pack1').pop();
    expect(last?.metrics.find((m) => m.name === 'voltage')?.value).to.equal(50.2);

    // after recovery pack2 is born again before its data
    node.receive(envelope('pack2', 51.0));
    await waitFor(() => count('DBIRTH', 'pack2') === 3, 10_000, 'pack2 born again');
    node.receive(envelope('pack1', 49.0));
    await waitFor(() => view().some((m) => m.type === 'DDATA' && m.device === 'pack1' && m.metrics.some((x) => x.value === 49 && !x.isHistorical)), 10_000, 'live DDATA');

    checkSparkplugOrder(view());
    const bdSeqs = view().filter((m) => m.type === 'NBIRTH').map((m) => m.bdSeq);
    expect(new Set(bdSeqs).size, `bdSeq per connection ${bdSeqs.join(',')}`).to.be.at.least(3);
  });

  it('user name and password come from the credentials; a refusal is reported at once, once', async () => {
    const secured = new Mosquitto(await freeTcpPort(), { edge: 's3cret' });
    await secured.start();
    try {
      const sub = await Subscriber.connect(secured.port, 'dcpower-test/#', 'test-auth', { username: 'edge', password: 's3cret' });
      subscribers.push(sub);
      await helper.load([brokerNode, uplinkNode], flow(secured.port, { site: 'auth' }), { broker: { username: 'edge', password: 'wrong' } });
      let node = helper.getNode('up') as TestNode;
      const loadedAt = Date.now();
      await waitFor(() => node.error.getCalls().length > 0, 20_000, 'the refusal reported');
      // at once: not after the 30 s grace a broker that is merely absent gets
      expect(Date.now() - loadedAt).to.be.below(25_000);
      expect(lastStatus(node)).to.include({ fill: 'red', shape: 'ring' });
      await new Promise((r) => setTimeout(r, 3_000));
      expect(node.error.getCalls().length, 'reported once, not on every retry').to.equal(1);
      await helper.unload();

      await helper.load([brokerNode, uplinkNode], flow(secured.port, { site: 'auth' }), { broker: { username: 'edge', password: 's3cret' } });
      node = helper.getNode('up') as TestNode;
      await waitFor(() => sub.json('dcpower-test/auth/edge/e1/state').some((s) => s.state === 'online'), 20_000, 'online with the right password');
      expect(node.error.getCalls().length).to.equal(0);
    } finally {
      await helper.unload();
      await secured.dispose();
    }
  });

  it('a burst faster than the socket drains stays within the buffer: the oldest are dropped, the rest arrive in order', async () => {
    const sub = await Subscriber.connect(broker.port, 'dcpower-test/burst/#', 'test-burst');
    subscribers.push(sub);
    const profile = new UnsProfile({ enterprise: 'dcpower-test', site: 'burst', edge: 'e', qos: 0, retain: false, splitValues: false });
    const connection = new UplinkConnection<Packet>(profile, {
      url: `mqtt://127.0.0.1:${broker.port}`,
      clientOptions: { clientId: 'burst-uplink', protocolVersion: 5 },
      bufferSize: 100,
      onState: () => undefined,
    });
    connection.start();
    try {
      await waitFor(() => connection.isOnline, 20_000, 'connected');
      const total = 20_000;
      let maxBuffered = 0;
      const filler = 'x'.repeat(200);
      for (let i = 0; i < total; i++) {
        connection.submit([{ topic: 'dcpower-test/burst/n', payload: Buffer.from(JSON.stringify({ i, filler })), qos: 0, retain: false }]);
        maxBuffered = Math.max(maxBuffered, connection.bufferedCount);
      }
      expect(maxBuffered).to.be.at.most(100);
      expect(connection.dropped, 'a synchronous burst of 20,000 must back the socket up').to.be.greaterThan(0);
      await waitFor(() => sub.on('dcpower-test/burst/n').length === total - connection.dropped, 30_000, `${total - connection.dropped} messages (got ${sub.on('dcpower-test/burst/n').length})`);
      const seen = sub.json('dcpower-test/burst/n').map((m) => m.i as number);
      expect(seen.every((v, k) => k === 0 || v > seen[k - 1]), 'in order').to.equal(true);
      expect(seen[seen.length - 1]).to.equal(total - 1);
    } finally {
      await connection.close();
    }
  });

  it('TLS: mqtts with the server unverified when told to, and a refusal of a certificate it cannot verify otherwise', async () => {
    const secure = new Mosquitto(await freeTcpPort(), undefined, { tls: true });
    await secure.start();
    const open = (rejectUnauthorized: boolean, states: string[]): UplinkConnection<Packet> =>
      new UplinkConnection<Packet>(new UnsProfile({ enterprise: 'dcpower-test', site: 'tls', edge: 'e', qos: 0, retain: false, splitValues: false }), {
        url: `mqtts://127.0.0.1:${secure.port}`,
        clientOptions: { clientId: `tls-${rejectUnauthorized}`, protocolVersion: 5, rejectUnauthorized },
        bufferSize: 10,
        onState: (s) => states.push(s.phase === 'disconnected' ? `disconnected ${s.error?.message ?? ''}` : s.phase),
      });
    const unverified: string[] = [];
    const verified: string[] = [];
    const a = open(false, unverified);
    const b = open(true, verified);
    try {
      a.start();
      b.start();
      await waitFor(() => a.isOnline, 10_000, 'online over TLS');
      await waitFor(() => verified.some((s) => s.startsWith('disconnected')), 10_000, 'the refused certificate');
      expect(verified.find((s) => s.startsWith('disconnected'))).to.match(/self[- ]signed/i);
      expect(b.isOnline).to.equal(false);
      expect(b.connects, 'no CONNECT over an unverified transport').to.equal(0);
    } finally {
      await a.close();
      await b.close();
      await secure.dispose();
    }
  });

  it('without a broker configured: grey ring, and every message is refused with a reason for Catch', async () => {
    const nodes = flow(broker.port, { broker: '' }).filter((n) => (n as { id: string }).id !== 'broker');
    await helper.load([brokerNode, uplinkNode], nodes);
    const node = helper.getNode('up') as TestNode;
    const caught = catcher();
    expect(lastStatus(node)).to.include({ fill: 'grey', shape: 'ring' });
    node.receive(envelope('pack1', 50));
    await waitFor(() => caught.length === 1, 5_000, 'Catch to receive the refusal');
    expect(caught[0].error?.message).to.contain('dcpower-uplink.errors.noBroker');
  });

  it('a hundred redeploys leak no connection, socket or timer, and each close publishes its NDEATH', async function () {
    this.timeout(300_000);
    const sub = await Subscriber.connect(broker.port, 'spBv1.0/g100/#', 'test-redeploy');
    subscribers.push(sub);
    const resources = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
      return counts;
    };
    const before = resources();
    const rounds = 100;
    for (let i = 0; i < rounds; i++) {
      await helper.load([brokerNode, uplinkNode], flow(broker.port, { format: 'sparkplug', group: 'g100', edge: `e${i % 3}` }));
      const node = helper.getNode('up') as TestNode;
      await waitFor(() => lastStatus(node).fill === 'green', 20_000, `connected in round ${i}`);
      node.receive(envelope('pack1', 50 + i / 100));
      await helper.unload();
    }
    const view = (): SpMessage[] => sub.messages.map((m) => ({ index: 0, type: m.topic.split('/')[2], metrics: [] }));
    // MQTT 5: the node's own NDEATH, then the broker's (the DISCONNECT carries "with will"), same bdSeq
    await waitFor(() => view().filter((m) => m.type === 'NDEATH').length >= 2 * rounds, 30_000, 'two NDEATHs per close');
    await new Promise((r) => setTimeout(r, 300));
    expect(view().filter((m) => m.type === 'NDEATH').length).to.equal(2 * rounds);
    expect(view().filter((m) => m.type === 'NBIRTH').length).to.equal(rounds);
    await new Promise((r) => setTimeout(r, 500));
    const after = resources();
    for (const kind of ['TCPSocketWrap', 'Timeout', 'TCPWRAP']) {
      expect(after[kind] ?? 0, `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`).to.be.at.most((before[kind] ?? 0) + 2);
    }
  });
});
