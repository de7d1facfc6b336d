/**
 * Sparkplug primary host application awareness end to end: a real mosquitto on a random loopback port, the uplink
 * node in a real Node-RED runtime, and a fake host application (the `mqtt` package) that publishes its retained
 * STATE. Ordering, not timing: what must not happen is checked against a later marker message.
 */
import { expect } from 'chai';
import * as mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import brokerNode = require('../../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../../nodes/uplink/dcpower-uplink');
import { decodeSparkplug, encodeSparkplug, longToNumber } from '../../nodes/uplink/sparkplug';
import { Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { helper, TestNode } from '../node/red-helper';

interface SpMessage {
  type: string;
  device?: string;
  seq?: number;
  bdSeq?: number;
  metrics: Array<{ name?: string; value: unknown; isHistorical?: boolean }>;
}

function connect(port: number, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200, connectTimeout: 5_000, ...options });
  client.on('error', () => undefined);
  return new Promise((resolve) => client.once('connect', () => resolve(client)));
}

function publish(client: MqttClient, topic: string, payload: string | Buffer, retain: boolean): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));
}

function end(client: MqttClient | undefined): Promise<void> {
  return new Promise((resolve) => (client ? client.end(true, {}, () => resolve()) : resolve()));
}

/** what an observer of the edge node sees, decoded with sparkplug-payload */
class Observer {
  readonly messages: SpMessage[] = [];
  private constructor(readonly client: MqttClient) {}

  static async start(port: number, group: string): Promise<Observer> {
    const client = await connect(port);
    const o = new Observer(client);
    client.on('message', (topic, payload) => {
      const levels = topic.split('/');
      const p = decodeSparkplug(payload);
      if (!p) throw new Error(`undecodable ${topic}`);
      const metrics = (p.metrics ?? []).map((x) => ({
        name: x.name ?? undefined,
        value: typeof x.value === 'object' && x.value !== null ? longToNumber(x.value) : x.value,
        isHistorical: x.isHistorical ?? undefined,
      }));
      const bd = metrics.find((x) => x.name === 'bdSeq');
      o.messages.push({
        type: levels[2],
        device: levels[4],
        seq: p.seq === undefined || p.seq === null ? undefined : longToNumber(p.seq),
        bdSeq: bd ? Number(bd.value) : undefined,
        metrics,
      });
    });
    await new Promise<void>((resolve, reject) => client.subscribe(`spBv1.0/${group}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    return o;
  }

  count(type: string, device?: string): number {
    return this.messages.filter((m) => m.type === type && (device === undefined || m.device === device)).length;
  }

  of(type: string, device?: string): SpMessage[] {
    return this.messages.filter((m) => m.type === type && (device === undefined || m.device === device));
  }
}

function envelope(name: string, voltage: number): object {
  return { topic: `jk/${name}`, payload: { voltage, soc: 80 }, device: { kind: 'jk-bms', name }, quality: 'good', timestamp: Date.now(), units: { voltage: 'V' }, alarms: [] };
}

function flow(port: number, uplink: Record<string, unknown>): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'primary host' },
    { id: 'broker', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port, protocolVersion: '4', keepalive: 30 },
    { id: 'up', z: 'tab', type: 'dcpower-uplink', broker: 'broker', format: 'sparkplug', group: 'gh', edge: 'e1', alarmsDevice: 'alarms', bufferSize: 100, primaryHost: 'scada', wires: [], ...uplink },
  ];
}

function lastStatus(node: TestNode): { fill?: string; shape?: string; text?: string } {
  const calls = node.status.getCalls();
  return calls.length > 0 ? (calls[calls.length - 1].args[0] as { fill?: string; shape?: string; text?: string }) : {};
}

const rebirth = (): Buffer => encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }) as Buffer;

describe('dcpower-uplink with a Sparkplug primary host application (real mosquitto)', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  const clients: MqttClient[] = [];

  before(async function () {
    if (!mosquittoAvailable()) throw new Error('mosquitto is not installed (.ci/run installs it)');
    broker = new Mosquitto(await freeTcpPort());
    await broker.start();
  });

  afterEach(async () => {
    await helper.unload();
    while (clients.length > 0) await end(clients.pop());
  });

  after(async () => {
    await broker?.dispose();
  });

  it('3.0 STATE: births only while the host is online, NDEATH and no DDATA while it is offline, births with the next bdSeq when it returns', async () => {
    const observer = await Observer.start(broker.port, 'gh');
    clients.push(observer.client);
    const stateTopic = 'spBv1.0/STATE/scada';
    const t1 = Date.now();
    const host = await connect(broker.port, { will: { topic: stateTopic, payload: Buffer.from(JSON.stringify({ online: false, timestamp: t1 })), qos: 1, retain: true } });
    clients.push(host);

    await helper.load([brokerNode, uplinkNode], flow(broker.port, {}));
    const node = helper.getNode('up') as TestNode;
    // connected, but no STATE yet: waiting (yellow dot), no NBIRTH
    await waitFor(() => lastStatus(node).fill === 'yellow' && lastStatus(node).shape === 'dot', 20_000, 'the waiting status');
    expect(observer.count('NBIRTH')).to.equal(0);

    // the host comes online: NBIRTH, then device births and data
    await publish(host, stateTopic, JSON.stringify({ online: true, timestamp: t1 }), true);
    await waitFor(() => observer.count('NBIRTH') === 1, 20_000, 'NBIRTH after the host is online');
    const bd0 = observer.of('NBIRTH')[0].bdSeq as number;
    expect(bd0).to.be.a('number');
    await waitFor(() => lastStatus(node).fill === 'green', 10_000, 'green status');
    node.receive(envelope('pack1', 53.2));
    await waitFor(() => observer.count('DBIRTH', 'pack1') === 1, 10_000, 'DBIRTH');
    node.receive(envelope('pack1', 53.3));
    await waitFor(() => observer.count('DDATA', 'pack1') === 1, 10_000, 'DDATA');

    // a will of an older host session (older timestamp) arriving late is ignored: the rebirth marker finds the
    // edge still born on the same connection (same bdSeq), with no NDEATH before it
    await publish(host, stateTopic, JSON.stringify({ online: false, timestamp: t1 - 60_000 }), false);
    await publish(host, 'spBv1.0/gh/NCMD/e1', rebirth(), false);
    await waitFor(() => observer.count('NBIRTH') === 2, 10_000, 'the rebirth');
    expect(observer.of('NBIRTH')[1].bdSeq).to.equal(bd0);
    expect(observer.count('NDEATH')).to.equal(0);

    // a malformed STATE does not crash and is reported once
    await publish(host, stateTopic, 'garbage', false);
    await publish(host, stateTopic, 'garbage', false);
    await publish(host, 'spBv1.0/gh/NCMD/e1', rebirth(), false);
    await waitFor(() => observer.count('NBIRTH') === 3, 10_000, 'the rebirth after the malformed STATE');
    const stateErrors = node.error.getCalls().filter((c) => String((c.args[0] as Error)?.message ?? c.args[0]).includes('hostState'));
    expect(stateErrors.length, 'malformed STATE reported once').to.equal(1);

    // the host goes offline (its own clean shutdown sets the retained STATE): NDEATH with the bdSeq of this CONNECT
    await publish(host, stateTopic, JSON.stringify({ online: false, timestamp: t1 }), true);
    await waitFor(() => observer.count('NDEATH') === 1, 10_000, 'NDEATH after the host went offline');
    expect(observer.of('NDEATH')[0].bdSeq).to.equal(bd0);
    const deathAt = observer.messages.length;
    await waitFor(() => lastStatus(node).fill === 'yellow' && lastStatus(node).shape === 'dot', 10_000, 'waiting for the host again');
    // values while the host is offline: no DDATA; the latest goes into the next DBIRTH
    node.receive(envelope('pack1', 47.0));
    node.receive(envelope('pack2', 51.0));

    // the host returns with a new session
    const t2 = t1 + 1_000;
    await publish(host, stateTopic, JSON.stringify({ online: true, timestamp: t2 }), true);
    await waitFor(() => observer.count('NBIRTH') === 4 && observer.count('DBIRTH', 'pack1') >= 4 && observer.count('DBIRTH', 'pack2') >= 1, 30_000, 'births when the host is back');
    const after = observer.messages.slice(deathAt);
    const nbirthIndex = after.findIndex((m) => m.type === 'NBIRTH');
    expect(after.slice(0, nbirthIndex).map((m) => m.type), 'nothing between the NDEATH and the next NBIRTH').to.deep.equal([]);
    expect(after.filter((m) => m.type === 'DDATA'), 'no DDATA of the values that came while the host was offline').to.deep.equal([]);
    expect(after[nbirthIndex].bdSeq, 'the next bdSeq').to.equal((bd0 + 1) % 256);
    expect(after[nbirthIndex].seq).to.equal(0);
    const pack1 = after.find((m) => m.type === 'DBIRTH' && m.device === 'pack1');
    expect(pack1?.metrics.find((m) => m.name === 'voltage')?.value, 'the latest value in the DBIRTH').to.equal(47);
    // the clean DISCONNECT kept the broker from sending the will as a second NDEATH
    expect(observer.count('NDEATH')).to.equal(1);

    // live data flows again
    node.receive(envelope('pack1', 46.5));
    await waitFor(() => observer.of('DDATA', 'pack1').some((m) => m.metrics.some((x) => x.value === 46.5 && !x.isHistorical)), 10_000, 'live DDATA');
    await waitFor(() => lastStatus(node).fill === 'green', 10_000, 'green status');
  });

  it('2.2 STATE: ONLINE / OFFLINE on STATE/<host id>', async () => {
    const observer = await Observer.start(broker.port, 'gl');
    clients.push(observer.client);
    const host = await connect(broker.port);
    clients.push(host);
    await publish(host, 'STATE/scada22', 'ONLINE', true);
    await helper.load([brokerNode, uplinkNode], flow(broker.port, { group: 'gl', primaryHost: 'scada22', legacyHostState: true }));
    await waitFor(() => observer.count('NBIRTH') === 1, 20_000, 'NBIRTH with the legacy host online');
    await publish(host, 'STATE/scada22', 'OFFLINE', true);
    await waitFor(() => observer.count('NDEATH') === 1, 10_000, 'NDEATH with the legacy host offline');
    expect(observer.of('NDEATH')[0].bdSeq).to.equal(observer.of('NBIRTH')[0].bdSeq);
    await publish(host, 'STATE/scada22', 'ONLINE', true);
    await waitFor(() => observer.count('NBIRTH') === 2, 20_000, 'NBIRTH again');
    expect(observer.of('NBIRTH')[1].bdSeq).to.equal(((observer.of('NBIRTH')[0].bdSeq as number) + 1) % 256);
    // clean up the retained STATE so it does not outlive the test
    await publish(host, 'STATE/scada22', '', true);
  });
});
