/**
 * The Eclipse Sparkplug TCK's edge-node checks (session establishment, data, termination, rebirth command, and
 * what its monitor watches), as tests of dcpower-uplink: one test per applicable [tck-id-…] statement of the
 * specification at v3.0.0, named by it (test/helpers/sparkplug-tck.ts lists them all, docs/sparkplug-conformance.md
 * too). The TCK needs Java and HiveMQ; here a real mosquitto and a recording proxy in front of it
 * (test/helpers/mqtt-recorder.ts) stand in: the uplink runs in a real Node-RED runtime, a plain MQTT client plays
 * the host application, and every packet the edge node sends or receives is parsed from the wire. One scenario
 * per MQTT version (3.1.1 and 5) records a whole life: connect, births, data, a value gone, a new metric, names
 * differing in case, more than 256 messages, a lost device, a rebirth command, a cut connection, a clean stop.
 */
import { expect } from 'chai';
import * as mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import brokerNode = require('../../nodes/links/dcpower-mqtt-broker');
import uplinkNode = require('../../nodes/uplink/dcpower-uplink');
import { Backoff } from '../../lib/backoff';
import { UplinkConnection } from '../../nodes/uplink/connection';
import { encodeSparkplug, SparkplugItem, SparkplugProfile } from '../../nodes/uplink/sparkplug';
import { RecordingProxy } from '../helpers/mqtt-recorder';
import { Mosquitto, mosquittoAvailable } from '../helpers/mosquitto';
import { freeTcpPort, waitFor } from '../helpers/ports';
import {
  aliasNames,
  bdSeqOf,
  DataType,
  decodeRaw,
  has,
  hasValueOrNull,
  num,
  RawMetric,
  Session,
  sessionsOf,
  SpMessage,
  statementsFor,
  STATEMENTS,
  valueOf,
  willBdSeq,
} from '../helpers/sparkplug-tck';
import { helper, TestNode } from '../node/red-helper';

type Version = 4 | 5;

/** ids as configured, and as they must appear in topics (+, #, / become _) */
const ids = (v: Version) => ({
  groupConfig: `tck${v}/组+1`,
  group: `tck${v}_组_1`,
  edgeConfig: `edge-${v}`,
  edge: `edge-${v}`,
  otherConfig: 'edge/b#',
  other: 'edge_b_',
  oddDeviceConfig: 'rack 3/电池+1',
  oddDevice: 'rack 3_电池_1',
});

interface Observed {
  at: number;
  topic: string;
  payload: Buffer;
}

interface Run {
  v: Version;
  group: string;
  edge: string;
  other: string;
  oddDevice: string;
  startedAt: number;
  sessions: Session[];
  otherSessions: Session[];
  /** what a host application subscribed to spBv1.0/<group>/# received */
  observed: Observed[];
  warnings: string[];
  /** index in the recording of the rebirth NCMD delivered to the edge node */
  rebirthIndex: number;
  /** the identical reading (no DDATA expected) and the change after it */
  rbe: { identicalAt: number; changeAt: number };
  /** the last voltage fed before the clean stop */
  lastVoltage: number;
  /** the refused-attempts run: three refused TCP connects, then two CONNECTs */
  refused: { sessions: Session[]; failures: number; connects: number };
  parseErrors: string[];
}

function envelope(name: string, payload: Record<string, unknown>, quality = 'good'): object {
  return { topic: `jk/${name}`, payload, device: { kind: 'jk-bms', name, model: 'JK-B2A24S' }, quality, timestamp: Date.now(), units: { voltage: 'V', soc: '%' }, alarms: [] };
}

function flow(port: number, v: Version): object[] {
  const i = ids(v);
  const uplink = { z: 'tab', type: 'dcpower-uplink', broker: 'broker', format: 'sparkplug', group: i.groupConfig, alarmsDevice: 'alarms', bufferSize: 1000, wires: [] };
  return [
    { id: 'tab', type: 'tab', label: 'tck' },
    { id: 'broker', type: 'dcpower-mqtt-broker', host: '127.0.0.1', port, protocolVersion: String(v), keepalive: 30 },
    { id: 'up', edge: i.edgeConfig, ...uplink },
    { id: 'up2', edge: i.otherConfig, ...uplink },
  ];
}

/** Waits for a condition that the checks judge: no throw, they report what is missing. */
async function settle(check: () => boolean, ms: number): Promise<void> {
  await waitFor(() => check(), ms).catch(() => undefined);
}

function connectHost(port: number, v: Version, group: string, observed: Observed[]): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: v, clientId: `tck-host-${v}`, reconnectPeriod: 200 });
  client.on('error', () => undefined);
  client.on('message', (topic, payload) => observed.push({ at: Date.now(), topic, payload }));
  return new Promise((resolve, reject) => {
    client.once('connect', () => client.subscribe(`spBv1.0/${group}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve(client))));
  });
}

const published = (sessions: readonly Session[]): SpMessage[] => sessions.flatMap((s) => s.published);
const ofType = (messages: readonly SpMessage[], type: string, device?: string): SpMessage[] =>
  messages.filter((m) => m.type === type && (device === undefined || m.device === device));

async function scenario(broker: Mosquitto, v: Version): Promise<Run> {
  const i = ids(v);
  const startedAt = Date.now();
  const proxy = new RecordingProxy(broker.port);
  await proxy.start();
  const observed: Observed[] = [];
  const host = await connectHost(broker.port, v, i.group, observed);
  const mine = (): Session[] => sessionsOf(proxy.packets, proxy.closes, i.group, i.edge);
  const count = (type: string, device?: string): number => ofType(published(mine()), type, device).length;
  try {
    await helper.load([brokerNode, uplinkNode], flow(proxy.port, v));
    const up = helper.getNode('up') as TestNode;
    const up2 = helper.getNode('up2') as TestNode;
    await waitFor(() => count('NBIRTH') === 1 && ofType(published(sessionsOf(proxy.packets, proxy.closes, i.group, i.other)), 'NBIRTH').length === 1, 20_000, 'both NBIRTHs');

    const pack = (extra: Record<string, unknown>): Record<string, unknown> => ({ cellVoltages: [3.3, 3.31], balancing: false, ...extra });
    up.receive(envelope('pack1', pack({ voltage: 53.2, soc: 80 })));
    up.receive(envelope(i.oddDeviceConfig, { voltage: 26.1 }));
    up2.receive(envelope('pack1', { voltage: 50 }));
    await waitFor(() => count('DBIRTH', 'pack1') === 1 && count('DBIRTH', i.oddDevice) === 1, 10_000, 'DBIRTHs');
    await waitFor(() => ofType(published(sessionsOf(proxy.packets, proxy.closes, i.group, i.other)), 'DBIRTH', 'pack1').length === 1, 10_000, 'the other DBIRTH');

    up.receive(envelope('pack1', pack({ voltage: 53.3, soc: 80 })));
    await waitFor(() => count('DDATA') === 1, 10_000, 'DDATA');
    // report by exception: the same reading again sends nothing, the next change only what changed
    const identicalAt = Date.now();
    up.receive(envelope('pack1', pack({ voltage: 53.3, soc: 80 })));
    await new Promise((r) => setTimeout(r, 50));
    const changeAt = Date.now();
    up.receive(envelope('pack1', pack({ voltage: 53.3, soc: 80, balancing: true })));
    await waitFor(() => count('DDATA') === 2, 10_000, 'the change');
    // soc is no longer reported
    up.receive(envelope('pack1', pack({ voltage: 53.3, balancing: true })));
    await settle(() => count('DDATA') === 3, 2_000);
    // a new metric, and a name that differs only in case from another
    up.receive(envelope('pack1', pack({ voltage: 53.4, balancing: true, mosTemperature: 31, x: 1, X: 2 })));
    await waitFor(() => count('DDEATH', 'pack1') === 1 && count('DBIRTH', 'pack1') === 2, 10_000, 'DDEATH and DBIRTH for the new metric');
    // a device id that differs only in case from another
    up.receive(envelope('PACK1', { voltage: 1 }));
    // more than 256 messages in one session: seq wraps
    let voltage = 0;
    const before = count('DDATA');
    for (let k = 0; k < 260; k++) {
      voltage = 50 + k / 100;
      up.receive(envelope('pack1', pack({ voltage, balancing: true, mosTemperature: 31, x: 1 })));
    }
    await waitFor(() => count('DDATA') === before + 260, 20_000, `260 more DDATA (${count('DDATA') - before})`);
    // a device the edge node lost
    up.receive(envelope(i.oddDeviceConfig, {}, 'comm_error'));
    await waitFor(() => count('DDEATH', i.oddDevice) === 1, 10_000, 'DDEATH');

    // the host asks for a rebirth, as the TCK's ReceiveCommand test does
    const ncmd = encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }) as Buffer;
    await new Promise<void>((resolve, reject) => host.publish(`spBv1.0/${i.group}/NCMD/${i.edge}`, ncmd, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await waitFor(() => count('NBIRTH') === 2 && count('DBIRTH', 'pack1') === 3, 10_000, 'the rebirth');
    const rebirthIndex = mine()[0].delivered.find((m) => m.type === 'NCMD')?.index ?? -1;

    // cut without DISCONNECT: the broker publishes the will; the node connects again with the next bdSeq
    proxy.cutAll();
    await waitFor(() => observed.some((o) => o.topic === `spBv1.0/${i.group}/NDEATH/${i.edge}`), 20_000, 'the will');
    await waitFor(() => mine().length === 2 && count('NBIRTH') === 3 && count('DBIRTH', 'pack1') === 4, 30_000, 'births on the new connection');
    voltage = 49;
    up.receive(envelope('pack1', pack({ voltage, balancing: true, mosTemperature: 31, x: 1 })));
    await waitFor(() => ofType(mine()[1].published, 'DDATA').length === 1, 10_000, 'DDATA on the new connection');

    const warnings = up.warn.getCalls().map((c) => String(c.args[0]));
    // clean stop: the node's NDEATH and DISCONNECT (MQTT 5: with the will, so the broker sends it as well)
    await helper.unload();
    const ndeaths = (): number => observed.filter((o) => o.topic === `spBv1.0/${i.group}/NDEATH/${i.edge}`).length;
    await waitFor(() => ndeaths() >= 2 && mine()[1].closedAt !== undefined, 10_000, `the NDEATH of the clean stop (${ndeaths()})`);
    // MQTT 5: the broker's copy of the will follows (the checks say whether it must)
    await settle(() => ndeaths() === 3, 1_000);
    await new Promise((r) => setTimeout(r, 200));

    const refused = await refusedRun(broker, v, i.group);
    return {
      v,
      group: i.group,
      edge: i.edge,
      other: i.other,
      oddDevice: i.oddDevice,
      startedAt,
      sessions: mine(),
      otherSessions: sessionsOf(proxy.packets, proxy.closes, i.group, i.other),
      observed,
      warnings,
      rebirthIndex,
      rbe: { identicalAt, changeAt },
      lastVoltage: voltage,
      refused,
      parseErrors: proxy.errors,
    };
  } finally {
    await helper.unload();
    await new Promise<void>((resolve) => host.end(true, {}, () => resolve()));
    await proxy.close();
  }
}

/** The connection alone against a port that refuses three times, then accepts: bdSeq counts CONNECTs sent. */
async function refusedRun(broker: Mosquitto, v: Version, group: string): Promise<Run['refused']> {
  const proxy = new RecordingProxy(broker.port);
  const port = await proxy.start();
  await proxy.refuse();
  const profile = new SparkplugProfile({ group, edge: 'refused', alarmsDevice: 'alarms' });
  let failures = 0;
  const connection = new UplinkConnection<SparkplugItem>(profile, {
    url: `mqtt://127.0.0.1:${port}`,
    clientOptions: { clientId: `tck-refused-${v}`, protocolVersion: v },
    bufferSize: 10,
    backoff: new Backoff({ initialMs: 30, maxMs: 60 }),
    onState: (s) => {
      if (s.phase === 'disconnected') failures++;
    },
  });
  connection.start();
  try {
    await waitFor(() => failures >= 3, 10_000, 'three refused attempts');
    const refusedFailures = failures;
    await proxy.start(port);
    await waitFor(() => connection.isOnline, 10_000, 'online');
    proxy.cutAll();
    await waitFor(() => sessionsOf(proxy.packets, proxy.closes, group, 'refused').length === 2 && connection.isOnline, 10_000, 'online again');
    return { sessions: sessionsOf(proxy.packets, proxy.closes, group, 'refused'), failures: refusedFailures, connects: connection.connects };
  } finally {
    await connection.close();
    await proxy.close();
  }
}

// ---- checks, one per statement ----

/** the messages of a session that carry seq: all but NDEATH */
const sequenced = (s: Session): SpMessage[] => s.published.filter((m) => m.type !== 'NDEATH');

/** every message of these types: QoS 0, not retained */
function qos0NotRetained(r: Run, ...types: string[]): void {
  const list = published(r.sessions).filter((m) => types.includes(m.type));
  expect(list.length, `some ${types.join('/')}`).to.be.greaterThan(0);
  for (const m of list) expect({ topic: m.topic, qos: m.qos, retain: m.retain }).to.deep.equal({ topic: m.topic, qos: 0, retain: false });
}

function qos(r: Run, type: string): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) expect(m.qos, m.topic).to.equal(0);
}

function notRetained(r: Run, type: string): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) expect(m.retain, m.topic).to.equal(false);
}

/** every message of the type has a seq, and it is the previous message's plus one (255 wraps to 0) */
function seqFollows(r: Run, type: string): void {
  let checked = 0;
  for (const s of r.sessions) {
    const list = sequenced(s);
    list.forEach((m, k) => {
      if (m.type !== type) return;
      expect(has(m.payload, 'seq'), `${m.topic} has seq`).to.equal(true);
      const seq = num(m.payload?.seq);
      expect(seq, 'seq 0-255').to.be.within(0, 255);
      if (type !== 'NBIRTH') expect(seq, `${m.topic} after seq ${num(list[k - 1]?.payload?.seq)}`).to.equal((num(list[k - 1]?.payload?.seq) + 1) % 256);
      checked++;
    });
  }
  expect(checked, `some ${type}`).to.be.greaterThan(0);
}

function hasSeq(r: Run, type: string): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) expect(has(m.payload, 'seq'), m.topic).to.equal(true);
}

/** the payload timestamp is the time of publishing: not after the broker got it, not long before */
function timestamped(r: Run, type: string): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) {
    expect(has(m.payload, 'timestamp'), `${m.topic} has a timestamp`).to.equal(true);
    expect(num(m.payload?.timestamp), m.topic).to.be.within(m.at - 5_000, m.at);
  }
}

/** spBv1.0/<group>/<type>/<edge>[/<device>] */
function topicForm(r: Run, type: string, withDevice: boolean): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) {
    expect(m.levels.length, m.topic).to.equal(withDevice ? 5 : 4);
    expect(m.levels.slice(0, 4), m.topic).to.deep.equal(['spBv1.0', r.group, type, r.edge]);
    if (withDevice) expect(m.device, m.topic).to.be.a('string').and.not.equal('');
  }
}

function decodes(r: Run, type: string): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) expect(m.payload, `${m.topic} is Sparkplug protobuf`).to.not.equal(undefined);
}

const births = (r: Run): SpMessage[] => published(r.sessions).filter((m) => m.type === 'NBIRTH' || m.type === 'DBIRTH');
const nbirths = (r: Run): SpMessage[] => ofType(published(r.sessions), 'NBIRTH');
const metricsOf = (list: readonly SpMessage[]): RawMetric[] => list.flatMap((m) => m.payload?.metrics ?? []);
const named = (m: SpMessage, name: string): RawMetric | undefined => m.payload?.metrics.find((x) => x.name === name);

/** within each session: the NBIRTH bdSeq is the will's */
function nbirthBdSeqIsWill(r: Run): void {
  for (const s of r.sessions) {
    const will = willBdSeq(s);
    expect(will, 'the will has bdSeq').to.be.a('number');
    const list = ofType(s.published, 'NBIRTH');
    expect(list.length).to.be.greaterThan(0);
    for (const m of list) {
      const bd = named(m, 'bdSeq');
      expect(bd?.datatype, 'bdSeq is Int64').to.equal(DataType.Int64);
      expect(bdSeqOf(m)).to.equal(will);
    }
  }
}

/** the bdSeq of the wills: 0, 1, ... one per CONNECT, refused attempts not counted */
function bdSeqCountsConnects(r: Run): void {
  expect(r.sessions.map((s) => willBdSeq(s))).to.deep.equal(r.sessions.map((_, k) => k));
  expect(r.refused.failures, 'refused attempts before the first CONNECT').to.be.at.least(3);
  expect(r.refused.connects).to.equal(2);
  expect(r.refused.sessions.map((s) => willBdSeq(s))).to.deep.equal([0, 1]);
  for (const s of [...r.sessions, ...r.refused.sessions]) {
    const will = decodeRaw(s.connect.will?.payload ?? '');
    expect(will?.metrics.find((m) => m.name === 'bdSeq')?.datatype, 'bdSeq is Int64').to.equal(DataType.Int64);
  }
}

/** what the will and every NDEATH of the edge node carry: one metric, bdSeq, and no seq */
function ndeathPayloads(r: Run): Array<ReturnType<typeof decodeRaw>> {
  const wills = r.sessions.map((s) => decodeRaw(s.connect.will?.payload ?? ''));
  const own = ofType(published(r.sessions), 'NDEATH').map((m) => m.payload);
  const delivered = r.observed.filter((o) => o.topic === `spBv1.0/${r.group}/NDEATH/${r.edge}`).map((o) => decodeRaw(o.payload));
  expect(own.length, 'the node published its NDEATH').to.be.greaterThan(0);
  return [...wills, ...own, ...delivered];
}

/** the clean stop: the last session, NDEATH published then DISCONNECT */
function cleanStop(r: Run): { ndeath: SpMessage; disconnectIndex: number; session: Session } {
  const session = r.sessions[r.sessions.length - 1];
  const ndeath = ofType(session.published, 'NDEATH')[0];
  expect(ndeath, 'NDEATH published by the node').to.not.equal(undefined);
  expect(session.disconnect, 'DISCONNECT sent').to.not.equal(undefined);
  return { ndeath, disconnectIndex: session.disconnect?.index ?? -1, session };
}

/** a host's view of each device: born or not, and the aliases of its current DBIRTH */
function eachData(r: Run, fn: (m: SpMessage, metric: RawMetric, birth: SpMessage) => void): number {
  let n = 0;
  for (const s of r.sessions) {
    const current = new Map<string, SpMessage>();
    for (const m of s.published) {
      if (m.type === 'NBIRTH') current.clear();
      if (m.type === 'DBIRTH' && m.device) current.set(m.device, m);
      if (m.type === 'DDEATH' && m.device) current.delete(m.device);
      if (m.type !== 'DDATA' || !m.device) continue;
      const birth = current.get(m.device);
      expect(birth, `${m.topic} after its DBIRTH`).to.not.equal(undefined);
      if (!birth) continue;
      for (const metric of m.payload?.metrics ?? []) {
        fn(m, metric, birth);
        n++;
      }
    }
  }
  return n;
}

function ddataMetricsInBirth(r: Run): void {
  const n = eachData(r, (m, metric, birth) => {
    const inBirth = birth.payload?.metrics.some((b) => has(b, 'alias') && num(b.alias) === num(metric.alias));
    expect(inBirth, `alias ${num(metric.alias)} of ${m.topic} in its DBIRTH`).to.equal(true);
  });
  expect(n).to.be.greaterThan(260);
}

/** no DDATA metric repeats the value the host already has */
function onlyChanges(r: Run): void {
  for (const s of r.sessions) {
    const values = new Map<string, Map<number, unknown>>();
    for (const m of s.published) {
      if (!m.device || (m.type !== 'DBIRTH' && m.type !== 'DDATA')) continue;
      if (m.type === 'DBIRTH') values.set(m.device, new Map());
      const known = values.get(m.device) ?? new Map<number, unknown>();
      for (const metric of m.payload?.metrics ?? []) {
        const alias = num(metric.alias);
        if (m.type === 'DDATA' && metric.isHistorical !== true) expect(valueOf(metric), `${m.topic} alias ${alias} changed`).to.not.deep.equal(known.get(alias));
        known.set(alias, valueOf(metric));
      }
    }
  }
  // the identical reading produced nothing; the change after it only the changed metric
  const between = published(r.sessions).filter((m) => m.type === 'DDATA' && m.at >= r.rbe.identicalAt);
  const first = between[0];
  expect(first?.at, 'the first DDATA after the identical reading').to.be.at.least(r.rbe.changeAt);
  const names = aliasNames(published(r.sessions));
  expect(first?.payload?.metrics.map((x) => names.get(num(x.alias)))).to.deep.equal(['balancing']);
}

/** non-historical metric timestamps never go backwards within a payload */
function chronological(r: Run, ...types: string[]): void {
  const list = published(r.sessions).filter((m) => types.includes(m.type));
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) {
    const stamps = (m.payload?.metrics ?? []).filter((x) => x.isHistorical !== true).map((x) => num(x.timestamp));
    expect(stamps, m.topic).to.deep.equal([...stamps].sort((a, b) => a - b));
  }
}

/** soc went missing: DDATA is_null, and is_null in every DBIRTH of pack1 after that */
function socNull(r: Run): void {
  const all = published(r.sessions);
  const names = aliasNames(all);
  const gone = ofType(all, 'DDATA', 'pack1').find((m) => m.payload?.metrics.some((x) => names.get(num(x.alias)) === 'soc'));
  expect(gone, 'DDATA with soc').to.not.equal(undefined);
  const soc = gone?.payload?.metrics.find((x) => names.get(num(x.alias)) === 'soc');
  expect(soc?.isNull).to.equal(true);
  const later = ofType(all, 'DBIRTH', 'pack1').filter((m) => m.index > (gone?.index ?? 0));
  expect(later.length, 'DBIRTHs after it (new metric, rebirth, reconnect)').to.equal(3);
  for (const m of later) {
    const metric = named(m, 'soc');
    expect(metric?.isNull, `${m.topic} soc is_null`).to.equal(true);
    expect(metric?.datatype).to.equal(DataType.Double);
    expect(has(metric, 'doubleValue'), 'and no value').to.equal(false);
  }
  // the other values are the current ones
  const lastBirth = later[later.length - 1];
  const lastData = ofType(r.sessions[r.sessions.length - 1].published, 'DDATA', 'pack1').pop();
  expect(valueOf(named(lastBirth, 'mosTemperature') ?? {})).to.equal(31);
  expect(lastData?.payload?.metrics.map(valueOf)).to.deep.equal([r.lastVoltage]);
}

function birthValues(r: Run, type: string): void {
  const list = ofType(published(r.sessions), type);
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) for (const metric of m.payload?.metrics ?? []) expect(hasValueOrNull(metric), `${m.topic} ${metric.name}`).to.equal(true);
}

/** name, datatype and a value (or is_null) on every metric */
function fullMetrics(r: Run, type: string): void {
  birthValues(r, type);
  for (const m of ofType(published(r.sessions), type)) {
    for (const metric of m.payload?.metrics ?? []) {
      expect(metric.name, m.topic).to.be.a('string').and.not.equal('');
      expect(has(metric, 'datatype'), `${m.topic} ${metric.name} datatype`).to.equal(true);
    }
  }
}

function rebirthMetric(r: Run): RawMetric[] {
  const list = nbirths(r).map((m) => named(m, 'Node Control/Rebirth'));
  expect(list.length).to.be.greaterThan(0);
  for (const m of list) expect(m, 'Node Control/Rebirth in every NBIRTH').to.not.equal(undefined);
  return list as RawMetric[];
}

function rebirthFalseBoolean(r: Run): void {
  for (const m of rebirthMetric(r)) {
    expect(m.datatype).to.equal(DataType.Boolean);
    expect(has(m, 'booleanValue') && m.booleanValue === false).to.equal(true);
  }
}

/** the births that answer the rebirth NCMD */
function rebirthSequence(r: Run): SpMessage[] {
  const s = r.sessions[0];
  const after = s.published.filter((m) => m.index > r.rebirthIndex);
  const next = after.findIndex((m) => m.type !== 'NBIRTH' && m.type !== 'DBIRTH');
  return next === -1 ? after : after.slice(0, next);
}

/** every birth sequence: the NBIRTH, then at once the DBIRTH of every device alive, before any DDATA */
function birthSequences(r: Run): void {
  for (const s of r.sessions) {
    const alive = new Set<string>();
    let born = new Set<string>();
    s.published.forEach((m, k) => {
      if (m.type === 'DBIRTH' && m.device) {
        expect(born.has(m.device), `${m.topic}: one DBIRTH per device life`).to.equal(false);
        born.add(m.device);
        alive.add(m.device);
      }
      if (m.type === 'DDEATH' && m.device) {
        born.delete(m.device);
        // the lost device, not the one reborn with a new metric right after
        if (s.published[k + 1]?.type !== 'DBIRTH' || s.published[k + 1]?.device !== m.device) alive.delete(m.device);
      }
      if (m.type === 'NBIRTH') {
        born = new Set();
        const following = s.published.slice(k + 1);
        const end = following.findIndex((x) => x.type !== 'DBIRTH');
        const dbirths = (end === -1 ? following : following.slice(0, end)).map((x) => x.device);
        // on a reconnect the model comes from the previous session; within one, from what was born
        if (k > 0) expect(new Set(dbirths), 'DBIRTHs right after the NBIRTH').to.deep.equal(alive);
        expect(dbirths.length, 'DBIRTHs right after the NBIRTH').to.be.greaterThan(0);
      }
    });
  }
}

/** a host's descriptor: one client at a time publishes births for it */
function oneClientAtATime(r: Run): void {
  for (let k = 1; k < r.sessions.length; k++) {
    const before = r.sessions[k - 1];
    expect(before.closedAt, 'the previous connection closed').to.be.a('number');
    expect(before.closedAt as number, 'before the next CONNECT').to.be.at.most(r.sessions[k].connectAt);
  }
  const clientIds = new Set(r.sessions.map((s) => s.connect.clientId));
  expect(clientIds.size, 'one client id per edge node').to.equal(1);
  expect(`${r.group}/${r.edge}`).to.not.equal(`${r.group}/${r.other}`);
}

function levelsValid(levels: string[]): void {
  for (const level of levels) {
    expect(level, 'no reserved character').to.not.match(/[+#/]/);
    // eslint-disable-next-line no-control-regex
    expect(level, 'no control character').to.not.match(/[\u0000-\u001f\u007f]/);
    expect(Buffer.from(level, 'utf8').toString('utf8'), 'valid UTF-8').to.equal(level);
    expect(level.length).to.be.greaterThan(0);
  }
}

const allTopics = (r: Run): SpMessage[] => [...published(r.sessions), ...published(r.otherSessions)];

const CHECKS: Record<string, (r: Run) => void> = {
  'tck-id-case-sensitivity-metric-names': (r) => {
    for (const m of births(r)) {
      const lower = (m.payload?.metrics ?? []).map((x) => (x.name ?? '').toLowerCase());
      expect(new Set(lower).size, m.topic).to.equal(lower.length);
    }
    const last = ofType(published(r.sessions), 'DBIRTH', 'pack1').pop();
    expect(last?.payload?.metrics.some((x) => x.name === 'x')).to.equal(true);
    expect(r.warnings.some((w) => w.includes('metricCase'))).to.equal(true);
  },
  'tck-id-case-sensitivity-sparkplug-ids': (r) => {
    const devices = [...new Set(published(r.sessions).map((m) => m.device).filter((d): d is string => d !== undefined))];
    expect(devices.map((d) => d.toLowerCase()).length).to.equal(new Set(devices.map((d) => d.toLowerCase())).size);
    expect(devices).to.not.include('PACK1');
    expect(r.warnings.some((w) => w.includes('deviceCase'))).to.equal(true);
  },
  'tck-id-intro-device-id-chars': (r) => {
    expect(ofType(published(r.sessions), 'DBIRTH', r.oddDevice).length, `'rack 3/电池+1' published as ${r.oddDevice}`).to.equal(1);
    levelsValid(allTopics(r).flatMap((m) => (m.device === undefined ? [] : [m.device])));
  },
  'tck-id-intro-device-id-string': (r) => levelsValid(allTopics(r).flatMap((m) => (m.device === undefined ? [] : [m.device]))),
  'tck-id-intro-edge-node-id-chars': (r) => {
    expect(published(r.otherSessions).length, `'edge/b#' published as ${r.other}`).to.be.greaterThan(0);
    levelsValid(allTopics(r).map((m) => m.edge));
  },
  'tck-id-intro-edge-node-id-string': (r) => levelsValid(allTopics(r).map((m) => m.edge)),
  'tck-id-intro-edge-node-id-uniqueness': oneClientAtATime,
  'tck-id-intro-group-id-chars': (r) => {
    expect(r.group, "'tck…/组+1' published as").to.match(/_组_1$/);
    levelsValid(allTopics(r).map((m) => m.group));
  },
  'tck-id-intro-group-id-string': (r) => levelsValid(allTopics(r).map((m) => m.group)),
  'tck-id-message-flow-device-birth-publish-dbirth-match-edge-node-topic': (r) => {
    for (const s of r.sessions) {
      let nbirth: SpMessage | undefined;
      for (const m of s.published) {
        if (m.type === 'NBIRTH') nbirth = m;
        if (m.type !== 'DBIRTH') continue;
        expect(nbirth, `${m.topic} after an NBIRTH`).to.not.equal(undefined);
        expect([m.group, m.edge]).to.deep.equal([nbirth?.group, nbirth?.edge]);
      }
    }
  },
  'tck-id-message-flow-device-birth-publish-dbirth-payload': (r) => decodes(r, 'DBIRTH'),
  'tck-id-message-flow-device-birth-publish-dbirth-payload-seq': (r) => seqFollows(r, 'DBIRTH'),
  'tck-id-message-flow-device-birth-publish-dbirth-qos': (r) => qos(r, 'DBIRTH'),
  'tck-id-message-flow-device-birth-publish-dbirth-retained': (r) => notRetained(r, 'DBIRTH'),
  'tck-id-message-flow-device-birth-publish-dbirth-topic': (r) => topicForm(r, 'DBIRTH', true),
  'tck-id-message-flow-device-birth-publish-nbirth-wait': (r) => {
    for (const s of r.sessions) {
      const first = s.published.findIndex((m) => m.type === 'NBIRTH');
      const dbirth = s.published.findIndex((m) => m.type === 'DBIRTH');
      expect(first, 'NBIRTH').to.be.at.least(0);
      expect(dbirth, 'DBIRTH after it').to.be.greaterThan(first);
    }
  },
  'tck-id-message-flow-edge-node-birth-publish-connect': (r) => {
    for (const s of r.sessions) {
      const nbirth = ofType(s.published, 'NBIRTH')[0];
      expect(s.connack, 'CONNACK').to.not.equal(undefined);
      expect(s.connack?.packet.returnCode ?? s.connack?.packet.reasonCode ?? 0, 'accepted').to.equal(0);
      expect(s.connack?.index ?? Infinity).to.be.below(nbirth.index);
    }
  },
  'tck-id-message-flow-edge-node-birth-publish-nbirth-payload': (r) => decodes(r, 'NBIRTH'),
  'tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq': nbirthBdSeqIsWill,
  'tck-id-message-flow-edge-node-birth-publish-nbirth-payload-seq': (r) => seqFollows(r, 'NBIRTH'),
  'tck-id-message-flow-edge-node-birth-publish-nbirth-qos': (r) => qos(r, 'NBIRTH'),
  'tck-id-message-flow-edge-node-birth-publish-nbirth-retained': (r) => notRetained(r, 'NBIRTH'),
  'tck-id-message-flow-edge-node-birth-publish-nbirth-topic': (r) => topicForm(r, 'NBIRTH', false),
  'tck-id-message-flow-edge-node-birth-publish-will-message': (r) => {
    for (const s of r.sessions) expect(s.connect.will, `CONNECT ${s.conn} has a will`).to.not.equal(undefined);
  },
  'tck-id-message-flow-edge-node-birth-publish-will-message-payload': (r) => {
    for (const s of r.sessions) expect(decodeRaw(s.connect.will?.payload ?? ''), 'Sparkplug protobuf').to.not.equal(undefined);
  },
  'tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq': bdSeqCountsConnects,
  'tck-id-message-flow-edge-node-birth-publish-will-message-qos': (r) => {
    for (const s of r.sessions) expect(s.connect.will?.qos).to.equal(1);
  },
  'tck-id-message-flow-edge-node-birth-publish-will-message-topic': (r) => {
    for (const s of r.sessions) expect(s.connect.will?.topic).to.equal(`spBv1.0/${r.group}/NDEATH/${r.edge}`);
  },
  'tck-id-message-flow-edge-node-birth-publish-will-message-will-retained': (r) => {
    for (const s of r.sessions) expect(s.connect.will?.retain).to.equal(false);
  },
  'tck-id-message-flow-edge-node-ncmd-subscribe': (r) => {
    for (const s of r.sessions) {
      const sub = s.subscribes.find((x) => x.packet.subscriptions.some((t) => t.topic === `spBv1.0/${r.group}/NCMD/${r.edge}`));
      expect(sub, 'SUBSCRIBE to NCMD').to.not.equal(undefined);
      expect(sub?.packet.subscriptions.find((t) => t.topic.endsWith('/NCMD/' + r.edge))?.qos).to.equal(1);
      expect(sub?.index ?? Infinity, 'before the NBIRTH').to.be.below(ofType(s.published, 'NBIRTH')[0].index);
    }
  },
  'tck-id-operational-behavior-data-commands-rebirth-action-1': (r) => {
    expect(r.rebirthIndex, 'the NCMD reached the edge node').to.be.greaterThan(0);
    const next = r.sessions[0].published.find((m) => m.index > r.rebirthIndex);
    expect(next?.type, 'nothing but the NBIRTH first').to.equal('NBIRTH');
  },
  'tck-id-operational-behavior-data-commands-rebirth-action-2': (r) => {
    const seq = rebirthSequence(r);
    expect(seq.map((m) => m.type)).to.deep.equal(['NBIRTH', 'DBIRTH']);
    // the lost device is not born again; pack1 is, with seq counting from the NBIRTH's 0
    expect(seq[1].device).to.equal('pack1');
    expect(seq.map((m) => num(m.payload?.seq))).to.deep.equal([0, 1]);
  },
  'tck-id-operational-behavior-data-commands-rebirth-action-3': (r) => {
    const [nbirth] = rebirthSequence(r);
    expect(bdSeqOf(nbirth)).to.equal(willBdSeq(r.sessions[0]));
  },
  'tck-id-operational-behavior-data-commands-rebirth-datatype': (r) => {
    for (const m of rebirthMetric(r)) expect(m.datatype).to.equal(DataType.Boolean);
  },
  'tck-id-operational-behavior-data-commands-rebirth-name': (r) => void rebirthMetric(r),
  'tck-id-operational-behavior-data-commands-rebirth-name-aliases': (r) => {
    for (const m of rebirthMetric(r)) expect(has(m, 'alias'), 'no alias on Node Control/Rebirth').to.equal(false);
  },
  'tck-id-operational-behavior-data-commands-rebirth-value': (r) => {
    for (const m of rebirthMetric(r)) expect(has(m, 'booleanValue') && m.booleanValue === false).to.equal(true);
  },
  'tck-id-operational-behavior-data-publish-dbirth': (r) => {
    ddataMetricsInBirth(r);
    birthSequences(r);
  },
  'tck-id-operational-behavior-data-publish-dbirth-change': onlyChanges,
  'tck-id-operational-behavior-data-publish-dbirth-order': (r) => chronological(r, 'DBIRTH', 'DDATA'),
  'tck-id-operational-behavior-data-publish-dbirth-values': (r) => {
    birthValues(r, 'DBIRTH');
    socNull(r);
  },
  'tck-id-operational-behavior-data-publish-nbirth': (r) => {
    for (const m of nbirths(r)) expect(m.payload?.metrics.map((x) => x.name)).to.deep.equal(['bdSeq', 'Node Control/Rebirth']);
    expect(ofType(published(r.sessions), 'NDATA')).to.deep.equal([]);
  },
  'tck-id-operational-behavior-data-publish-nbirth-order': (r) => chronological(r, 'NBIRTH'),
  'tck-id-operational-behavior-data-publish-nbirth-values': (r) => birthValues(r, 'NBIRTH'),
  'tck-id-operational-behavior-device-ddeath': (r) => {
    // the envelope said comm_error: DDEATH, and no DBIRTH of it on the rebirth nor after the reconnect
    const all = published(r.sessions);
    const ddeath = ofType(all, 'DDEATH', r.oddDevice);
    expect(ddeath.length).to.equal(1);
    expect(ofType(all, 'DBIRTH', r.oddDevice).filter((m) => m.index > ddeath[0].index)).to.deep.equal([]);
  },
  'tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath': (r) => {
    const { ndeath, disconnectIndex, session } = cleanStop(r);
    expect(ndeath.index).to.be.below(disconnectIndex);
    expect(bdSeqOf(ndeath)).to.equal(willBdSeq(session));
  },
  'tck-id-operational-behavior-edge-node-intentional-disconnect-packet': (r) => {
    const { ndeath, disconnectIndex, session } = cleanStop(r);
    expect(disconnectIndex).to.be.greaterThan(ndeath.index);
    const between = session.published.filter((m) => m.index > ndeath.index && m.index < disconnectIndex);
    expect(between, 'nothing between the NDEATH and the DISCONNECT').to.deep.equal([]);
  },
  'tck-id-payloads-alias-birth-requirement': (r) => {
    let aliased = 0;
    for (const metric of metricsOf(births(r))) {
      if (!has(metric, 'alias')) continue;
      aliased++;
      expect(metric.name, `alias ${num(metric.alias)} has its name`).to.be.a('string').and.not.equal('');
    }
    expect(aliased).to.be.greaterThan(0);
  },
  'tck-id-payloads-alias-data-cmd-requirement': (r) => {
    const n = eachData(r, (m, metric) => {
      expect(has(metric, 'alias'), m.topic).to.equal(true);
      expect(has(metric, 'name'), `${m.topic}: no name`).to.equal(false);
    });
    expect(n).to.be.greaterThan(0);
  },
  'tck-id-payloads-alias-uniqueness': (r) => {
    // one alias, one metric, across the edge node and its whole life
    const owner = new Map<number, string>();
    for (const m of births(r)) {
      const inThis = new Set<number>();
      for (const metric of m.payload?.metrics ?? []) {
        if (!has(metric, 'alias')) continue;
        const alias = num(metric.alias);
        expect(inThis.has(alias), `${m.topic}: alias ${alias} once`).to.equal(false);
        inThis.add(alias);
        const who = `${m.device ?? ''}/${metric.name ?? ''}`;
        expect(owner.get(alias) ?? who, `alias ${alias}`).to.equal(who);
        owner.set(alias, who);
      }
    }
    // among the births of what is alive at once (the TCK counts one birth sequence): no alias twice
    for (const s of r.sessions) {
      const alive = new Map<number, string>();
      for (const m of s.published) {
        if (m.type === 'NBIRTH') alive.clear();
        if (m.type === 'DDEATH') for (const [alias, device] of [...alive]) if (device === m.device) alive.delete(alias);
        if (m.type !== 'DBIRTH' || !m.device) continue;
        for (const metric of m.payload?.metrics ?? []) {
          if (!has(metric, 'alias')) continue;
          expect(alive.has(num(metric.alias)), `${m.topic}: alias ${num(metric.alias)} already in use`).to.equal(false);
          alive.set(num(metric.alias), m.device);
        }
      }
    }
  },
  'tck-id-payloads-dbirth-order': birthSequences,
  'tck-id-payloads-dbirth-qos': (r) => qos(r, 'DBIRTH'),
  'tck-id-payloads-dbirth-retain': (r) => notRetained(r, 'DBIRTH'),
  'tck-id-payloads-dbirth-seq': (r) => hasSeq(r, 'DBIRTH'),
  'tck-id-payloads-dbirth-seq-inc': (r) => seqFollows(r, 'DBIRTH'),
  'tck-id-payloads-dbirth-timestamp': (r) => timestamped(r, 'DBIRTH'),
  'tck-id-payloads-ddata-order': (r) => void eachData(r, () => undefined),
  'tck-id-payloads-ddata-qos': (r) => qos(r, 'DDATA'),
  'tck-id-payloads-ddata-retain': (r) => notRetained(r, 'DDATA'),
  'tck-id-payloads-ddata-seq': (r) => hasSeq(r, 'DDATA'),
  'tck-id-payloads-ddata-seq-inc': (r) => seqFollows(r, 'DDATA'),
  'tck-id-payloads-ddata-timestamp': (r) => timestamped(r, 'DDATA'),
  'tck-id-payloads-ddeath-seq': (r) => hasSeq(r, 'DDEATH'),
  'tck-id-payloads-ddeath-seq-inc': (r) => seqFollows(r, 'DDEATH'),
  'tck-id-payloads-ddeath-seq-number': (r) => seqFollows(r, 'DDEATH'),
  'tck-id-payloads-ddeath-timestamp': (r) => timestamped(r, 'DDEATH'),
  'tck-id-payloads-metric-datatype-not-req': (r) => {
    const n = eachData(r, (m, metric) => expect(has(metric, 'datatype'), `${m.topic}: no datatype`).to.equal(false));
    expect(n).to.be.greaterThan(0);
  },
  'tck-id-payloads-metric-datatype-req': (r) => {
    for (const m of births(r)) for (const metric of m.payload?.metrics ?? []) expect(has(metric, 'datatype'), `${m.topic} ${metric.name}`).to.equal(true);
  },
  'tck-id-payloads-metric-datatype-value': (r) => {
    const valid = new Set(Object.values(DataType).filter((x): x is number => typeof x === 'number' && x !== 0));
    for (const metric of metricsOf(births(r))) expect(valid.has(metric.datatype ?? 0), `${metric.name}: ${metric.datatype}`).to.equal(true);
  },
  'tck-id-payloads-metric-datatype-value-type': (r) => {
    for (const metric of metricsOf(births(r))) {
      expect(Number.isInteger(metric.datatype)).to.equal(true);
      expect(metric.datatype).to.be.within(0, 0xffffffff);
    }
  },
  'tck-id-payloads-metric-propertyvalue-type-req': (r) => {
    const values = metricsOf(births(r)).flatMap((m) => m.properties?.values ?? []);
    expect(values.length, 'births with engUnit properties').to.be.greaterThan(0);
    for (const v of values) expect(has(v, 'type')).to.equal(true);
  },
  'tck-id-payloads-metric-propertyvalue-type-type': (r) => {
    for (const v of metricsOf(births(r)).flatMap((m) => m.properties?.values ?? [])) expect(v.type).to.be.a('number').within(0, 0xffffffff);
  },
  'tck-id-payloads-metric-propertyvalue-type-value': (r) => {
    const values = metricsOf(births(r)).flatMap((m) => m.properties?.values ?? []);
    expect(values.length).to.be.greaterThan(0);
    // the basic datatypes and PropertySet, PropertySetList
    for (const v of values) expect([...Array.from({ length: 15 }, (_, k) => k + 1), 20, 21]).to.include(v.type);
  },
  'tck-id-payloads-metric-timestamp-in-UTC': (r) => {
    const all = published(r.sessions).filter((m) => m.type !== 'NDEATH');
    for (const m of all) for (const metric of m.payload?.metrics ?? []) expect(num(metric.timestamp), `${m.topic} ${metric.name ?? num(metric.alias)}`).to.be.within(r.startedAt, m.at);
  },
  'tck-id-payloads-name-birth-data-requirement': (r) => {
    const all = published(r.sessions).filter((m) => ['NBIRTH', 'DBIRTH', 'DDATA'].includes(m.type));
    for (const metric of metricsOf(all)) expect(has(metric, 'timestamp'), 'metric timestamp').to.equal(true);
  },
  'tck-id-payloads-name-requirement': (r) => {
    for (const metric of metricsOf(published(r.sessions))) if (!has(metric, 'alias')) expect(metric.name).to.be.a('string').and.not.equal('');
  },
  'tck-id-payloads-nbirth-bdseq': (r) => {
    for (const m of nbirths(r)) expect(bdSeqOf(m)).to.be.a('number');
  },
  'tck-id-payloads-nbirth-bdseq-repeat': nbirthBdSeqIsWill,
  'tck-id-payloads-nbirth-edge-node-descriptor': oneClientAtATime,
  'tck-id-payloads-nbirth-qos': (r) => qos(r, 'NBIRTH'),
  'tck-id-payloads-nbirth-rebirth-req': rebirthFalseBoolean,
  'tck-id-payloads-nbirth-retain': (r) => notRetained(r, 'NBIRTH'),
  'tck-id-payloads-nbirth-seq': (r) => seqFollows(r, 'NBIRTH'),
  'tck-id-payloads-nbirth-timestamp': (r) => timestamped(r, 'NBIRTH'),
  'tck-id-payloads-ndeath-bdseq': (r) => {
    // the will delivered after the cut, and the NDEATH of the clean stop, match their sessions' NBIRTHs
    const delivered = r.observed.filter((o) => o.topic === `spBv1.0/${r.group}/NDEATH/${r.edge}`).map((o) => num(decodeRaw(o.payload)?.metrics[0]?.longValue));
    const nbirthBdSeqs = r.sessions.map((s) => bdSeqOf(ofType(s.published, 'NBIRTH')[0]));
    expect(delivered.slice(0, 2)).to.deep.equal(nbirthBdSeqs);
    expect(bdSeqOf(cleanStop(r).ndeath)).to.equal(nbirthBdSeqs[1]);
  },
  'tck-id-payloads-ndeath-seq': (r) => {
    for (const p of ndeathPayloads(r)) expect(has(p, 'seq'), 'NDEATH without seq').to.equal(false);
  },
  'tck-id-payloads-ndeath-will-message': (r) => {
    for (const s of r.sessions) expect(s.connect.will?.topic).to.equal(`spBv1.0/${r.group}/NDEATH/${r.edge}`);
  },
  'tck-id-payloads-ndeath-will-message-publisher': (r) => {
    const { ndeath, disconnectIndex } = cleanStop(r);
    expect(ndeath.index).to.be.below(disconnectIndex);
  },
  'tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311': (r) => {
    const { ndeath, disconnectIndex, session } = cleanStop(r);
    expect(session.connect.protocolVersion).to.equal(4);
    expect(ndeath.index).to.be.below(disconnectIndex);
    // a 3.1.1 DISCONNECT drops the will: the host heard the node's own NDEATH only
    expect(r.observed.filter((o) => o.topic === `spBv1.0/${r.group}/NDEATH/${r.edge}` && o.at >= ndeath.at).length).to.equal(1);
  },
  'tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50': (r) => {
    const { ndeath, session } = cleanStop(r);
    expect(session.connect.protocolVersion).to.equal(5);
    expect(session.disconnect?.packet.reasonCode, 'Disconnect with Will Message').to.equal(0x04);
    // so the broker delivered the will too: two NDEATHs with the same bdSeq
    const after = r.observed.filter((o) => o.topic === `spBv1.0/${r.group}/NDEATH/${r.edge}` && o.at >= ndeath.at);
    expect(after.map((o) => num(decodeRaw(o.payload)?.metrics[0]?.longValue))).to.deep.equal([willBdSeq(session), willBdSeq(session)]);
  },
  'tck-id-payloads-ndeath-will-message-qos': (r) => {
    for (const s of r.sessions) expect(s.connect.will?.qos).to.equal(1);
  },
  'tck-id-payloads-ndeath-will-message-retain': (r) => {
    for (const s of r.sessions) expect(s.connect.will?.retain).to.equal(false);
  },
  'tck-id-payloads-propertyset-keys-array-size': (r) => {
    const sets = metricsOf(births(r)).flatMap((m) => (m.properties ? [m.properties] : []));
    expect(sets.length).to.be.greaterThan(0);
    for (const p of sets) expect((p.keys ?? []).length).to.equal((p.values ?? []).length);
  },
  'tck-id-payloads-propertyset-values-array-size': (r) => {
    for (const p of metricsOf(births(r)).flatMap((m) => (m.properties ? [m.properties] : []))) expect((p.values ?? []).length).to.equal((p.keys ?? []).length);
  },
  'tck-id-payloads-sequence-num-always-included': (r) => {
    for (const m of published(r.sessions)) expect(has(m.payload, 'seq'), m.topic).to.equal(m.type !== 'NDEATH');
  },
  'tck-id-payloads-sequence-num-incrementing': (r) => {
    let wrapped = false;
    for (const s of r.sessions) {
      const list = sequenced(s);
      list.forEach((m, k) => {
        const seq = num(m.payload?.seq);
        if (m.type === 'NBIRTH') expect(seq).to.equal(0);
        else expect(seq, `${m.topic} #${k}`).to.equal((num(list[k - 1].payload?.seq) + 1) % 256);
        if (k > 0 && seq === 0 && m.type !== 'NBIRTH') wrapped = true;
      });
    }
    expect(wrapped, '255 was followed by 0').to.equal(true);
  },
  'tck-id-payloads-sequence-num-req-nbirth': (r) => {
    for (const m of nbirths(r)) expect(num(m.payload?.seq)).to.be.within(0, 255);
  },
  'tck-id-payloads-timestamp-in-UTC': (r) => {
    for (const m of published(r.sessions)) if (has(m.payload, 'timestamp')) expect(num(m.payload?.timestamp), m.topic).to.be.within(r.startedAt, m.at);
  },
  'tck-id-principles-birth-certificates-order': (r) => {
    for (const s of r.sessions) expect(s.published[0]?.type, `first message on connection ${s.conn}`).to.equal('NBIRTH');
  },
  'tck-id-principles-persistence-clean-session-311': (r) => {
    for (const s of r.sessions) expect([s.connect.protocolVersion, s.connect.clean]).to.deep.equal([4, true]);
  },
  'tck-id-principles-persistence-clean-session-50': (r) => {
    for (const s of r.sessions) {
      expect([s.connect.protocolVersion, s.connect.clean]).to.deep.equal([5, true]);
      expect(s.connect.properties?.sessionExpiryInterval ?? 0, 'Session Expiry Interval 0').to.equal(0);
    }
  },
  'tck-id-principles-rbe-recommended': onlyChanges,
  'tck-id-topic-structure': (r) => {
    for (const m of allTopics(r)) {
      expect(m.levels[0]).to.equal('spBv1.0');
      expect(m.levels.length, m.topic).to.equal(['DBIRTH', 'DDATA', 'DDEATH'].includes(m.type) ? 5 : 4);
    }
  },
  'tck-id-topic-structure-namespace-a': (r) => {
    for (const m of allTopics(r)) expect(m.topic.startsWith('spBv1.0/'), m.topic).to.equal(true);
  },
  'tck-id-topic-structure-namespace-device-id-associated-message-types': (r) => {
    for (const m of published(r.sessions).filter((x) => x.type.startsWith('D'))) expect(m.levels.length, m.topic).to.equal(5);
  },
  'tck-id-topic-structure-namespace-device-id-non-associated-message-types': (r) => {
    for (const m of published(r.sessions).filter((x) => x.type.startsWith('N'))) expect(m.levels.length, m.topic).to.equal(4);
    for (const s of r.sessions) {
      expect(s.connect.will?.topic.split('/').length).to.equal(4);
      for (const sub of s.subscribes) for (const t of sub.packet.subscriptions) expect(t.topic.split('/').length, t.topic).to.equal(4);
    }
  },
  'tck-id-topic-structure-namespace-duplicate-device-id-across-edge-node': (r) => {
    expect(ofType(published(r.sessions), 'DBIRTH', 'pack1').length).to.be.greaterThan(0);
    expect(ofType(published(r.otherSessions), 'DBIRTH', 'pack1').length).to.be.greaterThan(0);
  },
  'tck-id-topic-structure-namespace-unique-device-id': birthSequences,
  'tck-id-topic-structure-namespace-unique-edge-node-descriptor': oneClientAtATime,
  'tck-id-topic-structure-namespace-valid-device-id': (r) => levelsValid(allTopics(r).flatMap((m) => (m.device === undefined ? [] : [m.device]))),
  'tck-id-topic-structure-namespace-valid-edge-node-id': (r) => levelsValid(allTopics(r).map((m) => m.edge)),
  'tck-id-topic-structure-namespace-valid-group-id': (r) => levelsValid(allTopics(r).map((m) => m.group)),
  'tck-id-topics-dbirth-metric-reqs': ddataMetricsInBirth,
  'tck-id-topics-dbirth-metrics': (r) => fullMetrics(r, 'DBIRTH'),
  'tck-id-topics-dbirth-mqtt': (r) => qos0NotRetained(r, 'DBIRTH'),
  'tck-id-topics-dbirth-seq': (r) => seqFollows(r, 'DBIRTH'),
  'tck-id-topics-dbirth-timestamp': (r) => timestamped(r, 'DBIRTH'),
  'tck-id-topics-dbirth-topic': (r) => topicForm(r, 'DBIRTH', true),
  'tck-id-topics-ddata-mqtt': (r) => qos0NotRetained(r, 'DDATA'),
  'tck-id-topics-ddata-payload': (r) => {
    onlyChanges(r);
    // the first DDATA: only voltage changed (53.2 -> 53.3)
    const first = ofType(published(r.sessions), 'DDATA', 'pack1')[0];
    const names = aliasNames(published(r.sessions));
    expect(first.payload?.metrics.map((x) => [names.get(num(x.alias)), valueOf(x)])).to.deep.equal([['voltage', 53.3]]);
  },
  'tck-id-topics-ddata-seq-num': (r) => seqFollows(r, 'DDATA'),
  'tck-id-topics-ddata-timestamp': (r) => timestamped(r, 'DDATA'),
  'tck-id-topics-ddata-topic': (r) => topicForm(r, 'DDATA', true),
  'tck-id-topics-ddeath-mqtt': (r) => qos0NotRetained(r, 'DDEATH'),
  'tck-id-topics-ddeath-seq-num': (r) => seqFollows(r, 'DDEATH'),
  'tck-id-topics-ddeath-topic': (r) => topicForm(r, 'DDEATH', true),
  'tck-id-topics-nbirth-bdseq-included': (r) => {
    for (const m of nbirths(r)) expect(named(m, 'bdSeq'), m.topic).to.not.equal(undefined);
  },
  'tck-id-topics-nbirth-bdseq-increment': bdSeqCountsConnects,
  'tck-id-topics-nbirth-bdseq-matching': nbirthBdSeqIsWill,
  'tck-id-topics-nbirth-metric-reqs': (r) => {
    expect(ofType(published(r.sessions), 'NDATA')).to.deep.equal([]);
    for (const m of nbirths(r)) expect(m.payload?.metrics.map((x) => x.name)).to.deep.equal(['bdSeq', 'Node Control/Rebirth']);
  },
  'tck-id-topics-nbirth-metrics': (r) => fullMetrics(r, 'NBIRTH'),
  'tck-id-topics-nbirth-mqtt': (r) => qos0NotRetained(r, 'NBIRTH'),
  'tck-id-topics-nbirth-rebirth-metric': rebirthFalseBoolean,
  'tck-id-topics-nbirth-seq-num': (r) => {
    for (const m of nbirths(r)) expect([has(m.payload, 'seq'), num(m.payload?.seq)]).to.deep.equal([true, 0]);
  },
  'tck-id-topics-nbirth-timestamp': (r) => timestamped(r, 'NBIRTH'),
  'tck-id-topics-nbirth-topic': (r) => topicForm(r, 'NBIRTH', false),
  'tck-id-topics-ndeath-payload': (r) => {
    for (const p of ndeathPayloads(r)) {
      expect(p?.metrics.map((m) => m.name)).to.deep.equal(['bdSeq']);
      expect(p?.metrics[0].datatype).to.equal(DataType.Int64);
    }
  },
  'tck-id-topics-ndeath-seq': (r) => {
    for (const p of ndeathPayloads(r)) expect(has(p, 'seq')).to.equal(false);
  },
  'tck-id-topics-ndeath-topic': (r) => {
    const own = ofType(published(r.sessions), 'NDEATH');
    expect(own.length).to.be.greaterThan(0);
    for (const m of own) expect(m.topic).to.equal(`spBv1.0/${r.group}/NDEATH/${r.edge}`);
    for (const s of r.sessions) expect(s.connect.will?.topic).to.equal(`spBv1.0/${r.group}/NDEATH/${r.edge}`);
  },
};

describe('Sparkplug B 3.0 edge node: the TCK edge-node checks against mosquitto', function () {
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

  it('has a check for every statement of the edge suite, and no other', () => {
    const expected = new Set(STATEMENTS.filter((s) => s.result === 'pass' && s.suite === 'edge').map((s) => s.id));
    expect(Object.keys(CHECKS).sort()).to.deep.equal([...expected].sort());
  });

  for (const v of [4, 5] as const) {
    describe(`MQTT ${v === 4 ? '3.1.1' : '5'}`, () => {
      let run: Run;
      before(async () => {
        run = await scenario(broker, v);
        expect(run.parseErrors, 'the recording parsed').to.deep.equal([]);
      });

      for (const statement of statementsFor('edge', v)) {
        it(statement.id, () => {
          const check = CHECKS[statement.id];
          if (!check) throw new Error(`no check for ${statement.id}`);
          check(run);
        });
      }

      it('not applicable here, as docs/sparkplug-conformance.md says: no NDATA, DCMD, templates, datasets, Quality properties or STATE', () => {
        const all = published(run.sessions);
        expect(all.filter((m) => m.type === 'NDATA' || m.type === 'STATE' || m.levels[1] === 'STATE')).to.deep.equal([]);
        for (const s of run.sessions) for (const sub of s.subscribes) for (const t of sub.packet.subscriptions) expect(t.topic).to.not.include('/DCMD/');
        for (const metric of metricsOf(all)) {
          expect([DataType.Template, DataType.DataSet]).to.not.include(metric.datatype);
          expect(metric.properties?.keys ?? []).to.not.include('Quality');
        }
      });
    });
  }
});
