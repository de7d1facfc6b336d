/**
 * The Eclipse Sparkplug TCK's primary-host checks (PrimaryHostTest, and the birth-sequence wait of
 * MultipleBrokerTest) as tests of dcpower-uplink, one per applicable [tck-id-…] statement, named by it, under
 * MQTT 3.1.1 and 5. The scenario is the TCK's: a wrong host online, the right host offline, online, an offline
 * with an old timestamp, offline, an online with an old timestamp, a new host session. A recording proxy
 * (test/helpers/mqtt-recorder.ts) gives the order of every packet; STATE messages are published retained at QoS 1,
 * as the TCK's host application does.
 */
import { expect } from 'chai';
import * as mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import brokerNode = require('../../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../../nodes/uplink/dcpower-uplink');
import { encodeSparkplug } from '../../nodes/uplink/sparkplug';
import { RecordingProxy } from '../helpers/mqtt-recorder';
import { Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { bdSeqOf, decodeRaw, num, Session, sessionsOf, SpMessage, statementsFor, STATEMENTS, willBdSeq } from '../helpers/sparkplug-tck';
import { helper, TestNode } from '../node/red-helper';

type Version = 4 | 5;
const HOST = 'scada';
/** the timestamp the TCK's host application uses for its "old" STATE messages */
const OLD = 16_671_135;

/** recording positions at each step of the scenario */
interface Marks {
  wrongHost: number;
  offline: number;
  online: number;
  oldOffline: number;
  offlineAgain: number;
  oldOnline: number;
  onlineAgain: number;
  end: number;
}

interface Run {
  v: Version;
  group: string;
  edge: string;
  sessions: Session[];
  marks: Marks;
  /** what a host application subscribed to spBv1.0/<group>/# received */
  ndeathsObserved: Array<{ at: number; bdSeq: number }>;
  parseErrors: string[];
}

function client(port: number, v: Version, id: string, will?: mqtt.IClientOptions['will']): Promise<MqttClient> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: v, clientId: id, reconnectPeriod: 0, will });
  c.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

function publish(c: MqttClient, topic: string, payload: string | Buffer, retain = true): Promise<void> {
  return new Promise((resolve, reject) => c.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));
}

const state = (online: boolean, timestamp: number): string => JSON.stringify({ online, timestamp });
const end = (c: MqttClient | undefined): Promise<void> => new Promise((resolve) => (c ? c.end(true, {}, () => resolve()) : resolve()));
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scenario(broker: Mosquitto, v: Version): Promise<Run> {
  const group = `tckh${v}`;
  const edge = `edge-h${v}`;
  const stateTopic = `spBv1.0/STATE/${HOST}`;
  const proxy = new RecordingProxy(broker.port);
  await proxy.start();
  const sessions = (): Session[] => sessionsOf(proxy.packets, proxy.closes, group, edge);
  const published = (): SpMessage[] => sessions().flatMap((s) => s.published);
  const count = (type: string): number => published().filter((m) => m.type === type).length;
  const ndeathsObserved: Run['ndeathsObserved'] = [];
  const observer = await client(broker.port, v, `tckh-observer-${v}`);
  observer.on('message', (topic, payload) => {
    if (topic === `spBv1.0/${group}/NDEATH/${edge}`) ndeathsObserved.push({ at: Date.now(), bdSeq: num(decodeRaw(payload)?.metrics[0]?.longValue) });
  });
  await new Promise<void>((resolve, reject) => observer.subscribe(`spBv1.0/${group}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  const admin = await client(broker.port, v, `tckh-admin-${v}`);
  let host: MqttClient | undefined;
  const marks: Partial<Marks> = {};
  const mark = (name: keyof Marks): void => {
    marks[name] = proxy.packets.length;
  };
  try {
    // a host with another id is online: no births
    await publish(admin, `spBv1.0/STATE/${HOST}_WRONG`, state(true, Date.now()));
    await helper.load(
      [brokerNode, uplinkNode],
      [
        { id: 'tab', type: 'tab', label: 'tck host' },
        { id: 'broker', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port: proxy.port, protocolVersion: String(v), keepalive: 30 },
        { id: 'up', z: 'tab', type: 'dcpower-uplink', broker: 'broker', format: 'sparkplug', group, edge, alarmsDevice: 'alarms', bufferSize: 100, primaryHost: HOST, wires: [] },
      ],
    );
    const up = helper.getNode('up') as TestNode;
    up.receive({ topic: 'jk/pack1', payload: { voltage: 53.2 }, device: { kind: 'jk-bms', name: 'pack1' }, quality: 'good', timestamp: Date.now() });
    mark('wrongHost');
    await waitFor(() => sessions()[0]?.subscribes.length > 0, 20_000, 'the subscription');
    await pause(1_000);

    // the right host, offline: no births
    const t = Date.now();
    host = await client(broker.port, v, `tckh-host-${v}`, { topic: stateTopic, payload: Buffer.from(state(false, t)), qos: 1, retain: true });
    mark('offline');
    await publish(host, stateTopic, state(false, t));
    await pause(1_000);

    // online: the births
    mark('online');
    await publish(host, stateTopic, state(true, t));
    await waitFor(() => count('NBIRTH') === 1 && count('DBIRTH') === 1, 10_000, 'births after the host is online');

    // an offline older than the online: ignored; the rebirth marker finds the session alive
    mark('oldOffline');
    await publish(host, stateTopic, state(false, OLD));
    await publish(host, `spBv1.0/${group}/NCMD/${edge}`, encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }) as Buffer, false);
    await waitFor(() => count('NBIRTH') === 2, 10_000, 'the rebirth');

    // offline: NDEATH, disconnect, connect again and wait
    mark('offlineAgain');
    await publish(host, stateTopic, state(false, t));
    await waitFor(() => sessions().length === 2 && sessions()[1].subscribes.length > 0, 15_000, 'the new session');

    // an online older than the last offline: no births
    mark('oldOnline');
    await publish(host, stateTopic, state(true, OLD));
    await pause(1_500);

    // the host's next session, with a newer timestamp
    mark('onlineAgain');
    await publish(host, stateTopic, state(false, t));
    await end(host);
    const t2 = Date.now();
    host = await client(broker.port, v, `tckh-host-${v}`, { topic: stateTopic, payload: Buffer.from(state(false, t2)), qos: 1, retain: true });
    await publish(host, stateTopic, state(true, t2));
    await waitFor(() => count('NBIRTH') === 3 && count('DBIRTH') === 3, 10_000, 'births with the host back');
    mark('end');
    await helper.unload();
    return { v, group, edge, sessions: sessions(), marks: marks as Marks, ndeathsObserved, parseErrors: proxy.errors };
  } finally {
    await helper.unload();
    // retained STATE must not outlive the test
    await publish(admin, stateTopic, '').catch(() => undefined);
    await publish(admin, `spBv1.0/STATE/${HOST}_WRONG`, '').catch(() => undefined);
    await end(host);
    await end(admin);
    await end(observer);
    await proxy.close();
  }
}

// ---- checks ----

const publishedIn = (r: Run, from: number, to: number): SpMessage[] => r.sessions.flatMap((s) => s.published).filter((m) => m.index >= from && m.index < to);
const birthsIn = (r: Run, from: number, to: number): SpMessage[] => publishedIn(r, from, to).filter((m) => m.type === 'NBIRTH' || m.type === 'DBIRTH');
const deathsIn = (r: Run, from: number, to: number): SpMessage[] => publishedIn(r, from, to).filter((m) => m.type === 'NDEATH' || m.type === 'DDEATH');

/**
 * Every NBIRTH follows, on its own connection, a STATE online of the host that was not older than the newest
 * STATE before it (the edge node's rule, replayed over the recording); none before the host was first online.
 */
function birthsAfterOnline(r: Run): void {
  const events = r.sessions
    .flatMap((s) => [...s.delivered.filter((m) => m.topic === `spBv1.0/STATE/${HOST}`), ...s.published.filter((m) => m.type === 'NBIRTH')])
    .sort((a, b) => a.index - b.index);
  let newest = -Infinity;
  const onlineOn = new Map<number, boolean>();
  let nbirths = 0;
  for (const m of events) {
    if (m.type === 'NBIRTH') {
      expect(onlineOn.get(m.conn), `NBIRTH on connection ${m.conn} after a valid STATE online`).to.equal(true);
      nbirths++;
      continue;
    }
    if (m.raw.length === 0) continue;
    const st = JSON.parse(m.raw.toString()) as { online: boolean; timestamp: number };
    if (st.timestamp < newest) continue;
    newest = st.timestamp;
    onlineOn.set(m.conn, st.online);
  }
  expect(nbirths).to.equal(3);
  expect(birthsIn(r, 0, r.marks.online)).to.deep.equal([]);
  expect(birthsIn(r, r.marks.online, r.marks.oldOffline).map((m) => m.type)).to.deep.equal(['NBIRTH', 'DBIRTH']);
}

/** the session the host's offline ended, and the one after it */
function ended(r: Run): { first: Session; second: Session; ndeath: SpMessage } {
  const [first, second] = r.sessions;
  expect(second, 'a second session').to.not.equal(undefined);
  const ndeath = first.published.find((m) => m.type === 'NDEATH' && m.index >= r.marks.offlineAgain);
  expect(ndeath, 'NDEATH after the offline STATE').to.not.equal(undefined);
  return { first, second, ndeath: ndeath as SpMessage };
}

const CHECKS: Record<string, (r: Run) => void> = {
  'tck-id-message-flow-edge-node-birth-publish-phid-offline': (r) => {
    const { first, second, ndeath } = ended(r);
    // at once: the first thing the node publishes after the offline STATE reached it
    const offlineAt = first.delivered.find((m) => m.topic === `spBv1.0/STATE/${HOST}` && m.index >= r.marks.offlineAgain);
    expect(offlineAt, 'the offline STATE reached the node').to.not.equal(undefined);
    expect(first.published.find((m) => m.index > (offlineAt?.index ?? 0))?.type).to.equal('NDEATH');
    expect(bdSeqOf(ndeath)).to.equal(willBdSeq(first));
    expect(first.disconnect?.index ?? -1, 'DISCONNECT after it').to.be.greaterThan(ndeath.index);
    expect(first.closedAt).to.be.a('number');
    // and over again: a new CONNECT with the next bdSeq
    expect(willBdSeq(second)).to.equal(((willBdSeq(first) as number) + 1) % 256);
  },
  'tck-id-message-flow-edge-node-birth-publish-phid-wait': birthsAfterOnline,
  'tck-id-message-flow-edge-node-birth-publish-phid-wait-id': (r) => {
    expect(birthsIn(r, r.marks.wrongHost, r.marks.offline), 'no births while only another host is online').to.deep.equal([]);
    for (const s of r.sessions) {
      const filters = s.subscribes.flatMap((x) => x.packet.subscriptions.map((t) => t.topic));
      expect(filters).to.include(`spBv1.0/STATE/${HOST}`);
      expect(filters.filter((f) => f.includes('STATE')), 'only its own host').to.deep.equal([`spBv1.0/STATE/${HOST}`]);
    }
  },
  'tck-id-message-flow-edge-node-birth-publish-phid-wait-online': (r) => {
    expect(birthsIn(r, r.marks.offline, r.marks.online), 'no births while the host says online: false').to.deep.equal([]);
    expect(birthsIn(r, r.marks.online, r.marks.oldOffline).length).to.equal(2);
  },
  'tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp': (r) => {
    expect(birthsIn(r, r.marks.oldOnline, r.marks.onlineAgain), 'no births on an online older than the last STATE').to.deep.equal([]);
    expect(birthsIn(r, r.marks.onlineAgain, r.marks.end).map((m) => m.type)).to.deep.equal(['NBIRTH', 'DBIRTH']);
  },
  'tck-id-operational-behavior-edge-node-birth-sequence-wait': birthsAfterOnline,
  'tck-id-operational-behavior-edge-node-termination-host-offline': (r) => {
    const { first, ndeath } = ended(r);
    const disconnect = first.disconnect?.packet;
    expect(disconnect, 'DISCONNECT').to.not.equal(undefined);
    // what a host heard of this session's end (the clean stop at the end has the next bdSeq)
    const heard = r.ndeathsObserved.filter((o) => o.bdSeq === bdSeqOf(ndeath)).map((o) => o.bdSeq);
    if (r.v === 5) {
      expect(disconnect?.reasonCode, 'Disconnect with Will Message').to.equal(0x04);
      // the broker sent the will as well: a second NDEATH with the same bdSeq
      expect(heard).to.deep.equal([bdSeqOf(ndeath), bdSeqOf(ndeath)]);
    } else {
      expect(heard).to.deep.equal([bdSeqOf(ndeath)]);
    }
  },
  'tck-id-operational-behavior-edge-node-termination-host-offline-reconnect': (r) => {
    const { first, second } = ended(r);
    expect(second.connectAt).to.be.at.least(first.closedAt as number);
    const filters = second.subscribes.flatMap((x) => x.packet.subscriptions.map((t) => `${t.topic}@${t.qos}`));
    expect(filters).to.include.members([`spBv1.0/${r.group}/NCMD/${r.edge}@1`, `spBv1.0/STATE/${HOST}@1`]);
    const nbirth = second.published.find((m) => m.type === 'NBIRTH');
    expect(nbirth, 'births again on the new session').to.not.equal(undefined);
    expect(bdSeqOf(nbirth as SpMessage)).to.equal(willBdSeq(second));
  },
  'tck-id-operational-behavior-edge-node-termination-host-offline-timestamp': (r) => {
    expect(deathsIn(r, r.marks.oldOffline, r.marks.offlineAgain), 'no NDEATH on an offline older than the online').to.deep.equal([]);
    // the rebirth marker found the same session alive
    const rebirth = publishedIn(r, r.marks.oldOffline, r.marks.offlineAgain).filter((m) => m.type === 'NBIRTH');
    expect(rebirth.length).to.equal(1);
    expect(rebirth[0].conn).to.equal(r.sessions[0].conn);
    expect(r.sessions[0].disconnect?.index ?? Infinity).to.be.above(r.marks.offlineAgain);
  },
};

describe('Sparkplug B 3.0 edge node: the TCK primary-host checks against mosquitto', function () {
  this.timeout(60_000);
  let broker: Mosquitto;

  before(async function () {
    if (!mosquittoAvailable()) throw new Error('mosquitto is not installed (.ci/run installs it)');
    broker = new Mosquitto(await freeTcpPort());
    await broker.start();
  });

  after(async () => {
    await broker?.dispose();
  });

  it('has a check for every statement of the host suite, and no other', () => {
    const expected = STATEMENTS.filter((s) => s.result === 'pass' && s.suite === 'host').map((s) => s.id);
    expect(Object.keys(CHECKS).sort()).to.deep.equal(expected.sort());
  });

  for (const v of [4, 5] as const) {
    describe(`MQTT ${v === 4 ? '3.1.1' : '5'}`, () => {
      let run: Run;
      before(async () => {
        run = await scenario(broker, v);
        expect(run.parseErrors, 'the recording parsed').to.deep.equal([]);
      });
      for (const statement of statementsFor('host', v)) {
        it(statement.id, () => {
          const check = CHECKS[statement.id];
          if (!check) throw new Error(`no check for ${statement.id}`);
          check(run);
        });
      }
    });
  }
});
