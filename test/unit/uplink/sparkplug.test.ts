import { expect } from 'chai';
import { classify, UplinkInput } from '../../../nodes/uplink/input';
import type { Packet } from '../../../nodes/uplink/profile';
import * as tahu from 'sparkplug-payload/lib/sparkplugPayloadProto';
import {
  decodeSparkplug,
  encodeSparkplug,
  flattenReading,
  isRebirthRequest,
  longToNumber,
  SparkplugItem,
  SparkplugProfile,
  SparkplugWarning,
} from '../../../nodes/uplink/sparkplug';
import { UnsProfile } from '../../../nodes/uplink/uns';
import { BACS_SCHEMA } from '../../../nodes/bacs/schema';
import { JK_SCHEMA } from '../../../nodes/jk-bms/schema';

const NOW = 1_700_000_000_000;

function input(msg: Record<string, unknown>): UplinkInput {
  const r = classify(msg, NOW);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function envelope(name: string, payload: Record<string, unknown>, quality = 'good', timestamp = NOW - 10, topic = `jk/${name}`): UplinkInput {
  return input({ topic, payload, device: { kind: 'jk-bms', name, model: 'JK-B2A24S' }, quality, timestamp, units: { voltage: 'V', cellVoltages: 'V' }, alarms: [] });
}

interface Decoded {
  type: string;
  device?: string;
  seq?: number;
  metrics: Array<{ name?: string; alias?: number; type: string; value: unknown; isHistorical?: boolean; properties?: Record<string, { value: unknown }> }>;
}

function decode(p: Packet): Decoded {
  const levels = p.topic.split('/');
  const payload = decodeSparkplug(p.payload);
  if (!payload) throw new Error(`undecodable ${p.topic}`);
  return {
    type: levels[2],
    device: levels[4],
    seq: payload.seq === undefined || payload.seq === null ? undefined : longToNumber(payload.seq),
    metrics: (payload.metrics ?? []).map((m) => ({
      name: m.name ?? undefined,
      alias: m.alias === undefined || m.alias === null ? undefined : longToNumber(m.alias),
      type: m.type,
      value: typeof m.value === 'object' && m.value !== null ? longToNumber(m.value) : m.value,
      isHistorical: m.isHistorical ?? undefined,
      properties: m.properties as Decoded['metrics'][number]['properties'],
    })),
  };
}

/** what a connection does: births on connect, render items right away */
function online(profile: SparkplugProfile, inp: UplinkInput): Decoded[] {
  return profile.accept(inp, true).flatMap((item: SparkplugItem) => profile.render(item, false, NOW)).map(decode);
}

describe('Sparkplug B encoding (decoded again with sparkplug-payload)', () => {
  it('flattens a reading into folder paths, keeping units and alarm id lists as one string', () => {
    const flat = flattenReading({ voltage: 53.2, cellVoltages: [3.3, 3.31], strings: [{ current: 1.5 }], chargeEnabled: true, alarms: ['cellHigh', 'mosHot'], missing: null }, { voltage: 'V', cellVoltages: 'V' });
    expect(flat).to.deep.equal([
      { name: 'voltage', type: 'Double', value: 53.2, unit: 'V' },
      { name: 'cellVoltages/0', type: 'Double', value: 3.3, unit: 'V' },
      { name: 'cellVoltages/1', type: 'Double', value: 3.31, unit: 'V' },
      { name: 'strings/0/current', type: 'Double', value: 1.5, unit: undefined },
      { name: 'chargeEnabled', type: 'Boolean', value: true, unit: undefined },
      { name: 'alarms', type: 'String', value: 'cellHigh,mosHot', unit: undefined },
    ]);
  });

  it('gives each value the datatype of its device schema, and leaves out a value of another type rather than change it', () => {
    const flat = flattenReading({ voltage: 'high', soc: 80, chargeEnabled: 1, strings: [{ current: 1.5, voltage: true }], ownKey: true }, {}, { ...JK_SCHEMA, keys: { ...JK_SCHEMA.keys, strings: BACS_SCHEMA.keys.strings } });
    expect(flat).to.deep.equal([
      { name: 'soc', type: 'Double', value: 80, unit: undefined },
      { name: 'strings/0/current', type: 'Double', value: 1.5, unit: undefined },
      // a key the schema does not know takes its type from the value
      { name: 'ownKey', type: 'Boolean', value: true, unit: undefined },
    ]);
  });

  it('NDEATH will carries bdSeq, incremented per CONNECT, and the NBIRTH repeats it with seq 0', () => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
    const will0 = sp.will(NOW);
    expect(will0).to.include({ topic: 'spBv1.0/g/NDEATH/e', qos: 1, retain: false });
    expect(decode(will0).metrics).to.deep.include({ name: 'bdSeq', alias: undefined, type: 'Int64', value: 0, isHistorical: undefined, properties: undefined });
    const births = sp.births(NOW).map(decode);
    expect(births[0].type).to.equal('NBIRTH');
    expect(births[0].seq).to.equal(0);
    expect(births[0].metrics.find((m) => m.name === 'bdSeq')?.value).to.equal(0);
    // the rebirth control and bdSeq carry no alias: a host addresses the rebirth control by name only
    expect(births[0].metrics.find((m) => m.name === 'Node Control/Rebirth')).to.include({ alias: undefined, type: 'Boolean', value: false });
    expect(births[0].metrics.find((m) => m.name === 'bdSeq')).to.include({ alias: undefined, type: 'Int64' });
    sp.disconnected();
    expect(decode(sp.will(NOW)).metrics[0].value).to.equal(1);
    expect(decode(sp.births(NOW)[0]).metrics.find((m) => m.name === 'bdSeq')?.value).to.equal(1);
    // wraps after 255
    for (let i = 0; i < 254; i++) sp.will(NOW);
    expect(sp.currentBdSeq).to.equal(255);
    sp.will(NOW);
    expect(sp.currentBdSeq).to.equal(0);
    // a redeployed node goes on from the previous CONNECT's bdSeq
    const next = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms', previousBdSeq: 41 });
    expect(decode(next.will(NOW)).metrics[0].value).to.equal(42);
  });

  it('DBIRTH lists every metric with alias and unit; DDATA only the changed ones, by alias; seq counts on', () => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
    sp.will(NOW);
    sp.births(NOW);
    const [birth] = online(sp, envelope('pack1', { voltage: 53.2, cellVoltages: [3.3, 3.31], soc: 80 }));
    expect(birth.type).to.equal('DBIRTH');
    expect(birth.device).to.equal('pack1');
    expect(birth.seq).to.equal(1);
    const names = birth.metrics.map((m) => m.name);
    expect(names).to.include.members(['voltage', 'cellVoltages/0', 'cellVoltages/1', 'soc', 'Device/Kind', 'Device/Quality', 'Device/Model']);
    const voltage = birth.metrics.find((m) => m.name === 'voltage');
    expect(voltage?.value).to.equal(53.2);
    expect(voltage?.properties?.engUnit.value).to.equal('V');
    const aliases = birth.metrics.map((m) => m.alias);
    expect(new Set(aliases).size).to.equal(aliases.length);

    const [data] = online(sp, envelope('pack1', { voltage: 53.4, cellVoltages: [3.3, 3.31], soc: 80 }));
    expect(data.type).to.equal('DDATA');
    expect(data.seq).to.equal(2);
    expect(data.metrics).to.have.length(1);
    // by alias only, without name or datatype (the DBIRTH defined both)
    expect(data.metrics[0]).to.include({ name: undefined, alias: voltage?.alias, type: undefined, value: 53.4 });
    const raw = tahu.org.eclipse.tahu.protobuf.Payload.decode(sp.render({ kind: 'ddata', device: 'pack1', metrics: [{ name: 'soc', type: 'Double', value: 81, timestamp: NOW }] }, false, NOW)[0].payload);
    expect(Object.keys(raw.metrics[0]).sort()).to.deep.equal(['alias', 'doubleValue', 'timestamp']);
    // nothing changed: nothing published
    expect(online(sp, envelope('pack1', { voltage: 53.4, cellVoltages: [3.3, 3.31], soc: 80 }))).to.deep.equal([]);
    // a new metric: not DDATA but a new life of the device, DDEATH then a DBIRTH with every metric, seq counting on
    const [death, rebirth] = online(sp, envelope('pack1', { voltage: 53.4, cellVoltages: [3.3, 3.31], soc: 80, mosTemperature: 30 }));
    expect([death.type, death.seq, rebirth.type, rebirth.seq]).to.deep.equal(['DDEATH', 4, 'DBIRTH', 5]);
    expect(rebirth.metrics.find((m) => m.name === 'voltage')?.alias).to.equal(voltage?.alias);
    expect(rebirth.metrics.find((m) => m.name === 'mosTemperature')?.value).to.equal(30);
    // a birth request queued behind one that already went out changes nothing
    expect(sp.render({ kind: 'dbirth', device: 'pack1' }, false, NOW)).to.deep.equal([]);
  });

  it('DDEATH when a device turns stale or comm_error, DBIRTH when it recovers', () => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
    sp.will(NOW);
    sp.births(NOW);
    online(sp, envelope('pack1', { voltage: 53 }));
    const [death] = online(sp, envelope('pack1', {}, 'comm_error'));
    expect(death.type).to.equal('DDEATH');
    expect(online(sp, envelope('pack1', {}, 'stale'))).to.deep.equal([]);
    const [again] = online(sp, envelope('pack1', { voltage: 53 }));
    expect(again.type).to.equal('DBIRTH');
    expect(again.metrics.find((m) => m.name === 'Device/Quality')?.value).to.equal('good');
    // a dead device gets no DBIRTH on reconnect
    online(sp, envelope('pack1', {}, 'stale'));
    sp.disconnected();
    sp.will(NOW);
    expect(sp.births(NOW).map(decode).map((d) => d.type)).to.deep.equal(['NBIRTH']);
  });

  it('re-sends NBIRTH and every DBIRTH on NCMD Node Control/Rebirth by name, with or without datatype; never by alias', () => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
    sp.will(NOW);
    sp.births(NOW);
    online(sp, envelope('pack1', { voltage: 53 }));
    online(sp, envelope('pack2', { voltage: 54 }));
    const byName = encodeSparkplug({ timestamp: NOW, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
    // the specification recommends leaving the datatype out of an NCMD
    const P = tahu.org.eclipse.tahu.protobuf.Payload;
    const noType = Buffer.from(P.encode(P.create({ timestamp: NOW, metrics: [P.Metric.create({ name: 'Node Control/Rebirth', booleanValue: true })] })).finish());
    // alias 1 is a device metric now: a command by alias must not trigger a rebirth
    const byAlias = encodeSparkplug({ timestamp: NOW, metrics: [{ alias: 1, type: 'Boolean', value: true }] });
    const no = encodeSparkplug({ timestamp: NOW, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: false }] });
    expect(isRebirthRequest(byAlias as Buffer)).to.equal(false);
    expect(sp.command('spBv1.0/g/NCMD/e', byAlias as Buffer, NOW)).to.deep.equal([]);
    for (const cmd of [byName, noType]) {
      const out = sp.command('spBv1.0/g/NCMD/e', cmd as Buffer, NOW).map(decode);
      expect(out.map((d) => d.type)).to.deep.equal(['NBIRTH', 'DBIRTH', 'DBIRTH']);
      expect(out.map((d) => d.seq)).to.deep.equal([0, 1, 2]);
      expect(out[0].metrics.find((m) => m.name === 'bdSeq')?.value).to.equal(0);
    }
    expect(sp.command('spBv1.0/g/NCMD/e', no as Buffer, NOW)).to.deep.equal([]);
    expect(sp.command('spBv1.0/g/NCMD/other', byName as Buffer, NOW)).to.deep.equal([]);
    expect(sp.command('spBv1.0/g/NCMD/e', Buffer.from('not protobuf \xff\xff'), NOW)).to.deep.equal([]);
  });

  it('buffered values go out after the births as historical DDATA, never before a DBIRTH', () => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
    sp.will(NOW);
    sp.births(NOW);
    online(sp, envelope('pack1', { voltage: 53 }));
    sp.disconnected();
    const buffered = [...sp.accept(envelope('pack1', { voltage: 52 }, 'good', NOW - 5), false), ...sp.accept(envelope('pack1', { voltage: 51 }, 'good', NOW - 4), false)];
    expect(buffered.map((b) => b.kind)).to.deep.equal(['ddata', 'ddata']);
    // rendering before the births (a connection not yet announced) yields nothing
    expect(sp.render(buffered[0], true, NOW)).to.deep.equal([]);
    sp.will(NOW);
    const births = sp.births(NOW).map(decode);
    expect(births.map((b) => b.type)).to.deep.equal(['NBIRTH', 'DBIRTH']);
    expect(births[1].metrics.find((m) => m.name === 'voltage')?.value).to.equal(51);
    const replay = buffered.flatMap((b) => sp.render(b, true, NOW)).map(decode);
    // the latest value (51 at NOW - 4) went out in the DBIRTH already: repeating it would be no change
    expect(replay.map((r) => r.type)).to.deep.equal(['DDATA']);
    expect(replay.map((r) => r.metrics[0].value)).to.deep.equal([52]);
    expect(replay.every((r) => r.metrics[0].isHistorical === true)).to.equal(true);
  });

  it('alarm-rules events become metrics of the alarms device', () => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
    sp.will(NOW);
    sp.births(NOW);
    const event = { id: 'jk/pack1/cellHigh/3', rule: 'cellHigh', topic: 'jk/pack1', state: 'unack_active', active: true, acknowledged: false, severity: 'major', value: 3.66, text: 'cell 3 high', since: NOW };
    const [birth] = online(sp, input({ payload: event }));
    expect(birth.type).to.equal('DBIRTH');
    expect(birth.device).to.equal('alarms');
    expect(birth.metrics.find((m) => m.name === 'jk/pack1/cellHigh/3/Active')?.value).to.equal(true);
    const [data] = online(sp, input({ payload: { ...event, state: 'ack_active', acknowledged: true } }));
    expect(data.type).to.equal('DDATA');
    expect(data.metrics.map((m) => m.value).sort()).to.deep.equal(['ack_active', true].sort());
  });
});

describe('Sparkplug B current values, names and order', () => {
  const P = tahu.org.eclipse.tahu.protobuf.Payload;
  const make = (warnings: SparkplugWarning[] = []): SparkplugProfile => {
    const sp = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms', onWarning: (w) => warnings.push(w) });
    sp.will(NOW);
    sp.births(NOW);
    return sp;
  };
  const rawMetrics = (p: Packet): tahu.org.eclipse.tahu.protobuf.Payload.IMetric[] => P.decode(p.payload).metrics;
  const has = (o: object, field: string): boolean => Object.prototype.hasOwnProperty.call(o, field);

  it('a value a whole reading no longer carries turns null: DDATA is_null, and is_null in every later DBIRTH', () => {
    const sp = make();
    online(sp, envelope('pack1', { voltage: 53, soc: 80, cellVoltages: [3.3, 3.31] }));
    const [gone] = online(sp, envelope('pack1', { voltage: 53, cellVoltages: [3.3] }, 'good', NOW - 5));
    expect(gone.type).to.equal('DDATA');
    expect(gone.metrics.map((m) => m.value)).to.deep.equal([null, null]);
    // on the wire: is_null and no value field, no datatype
    const item = sp.accept(envelope('pack1', { voltage: 54, cellVoltages: [3.3] }, 'good', NOW - 4), true)[0];
    expect(item.kind).to.equal('ddata');
    const rebirth = sp.command('spBv1.0/g/NCMD/e', encodeSparkplug({ timestamp: NOW, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }) as Buffer, NOW);
    const dbirth = rebirth.find((p) => p.topic === 'spBv1.0/g/DBIRTH/e/pack1');
    if (!dbirth) throw new Error('no DBIRTH');
    const soc = rawMetrics(dbirth).find((m) => m.name === 'soc');
    expect(soc?.isNull).to.equal(true);
    expect(soc?.datatype).to.equal(10);
    expect(has(soc ?? {}, 'doubleValue'), 'no value beside is_null').to.equal(false);
    const cell1 = decode(dbirth).metrics.find((m) => m.name === 'cellVoltages/1');
    expect(cell1?.value).to.equal(null);
    // reported again: a plain DDATA with the value
    const [back] = online(sp, envelope('pack1', { voltage: 54, soc: 79, cellVoltages: [3.3] }, 'good', NOW - 3));
    expect(back.type).to.equal('DDATA');
    expect(back.metrics.map((m) => m.value)).to.deep.equal([79]);
  });

  it('a null DDATA metric carries alias, timestamp and is_null only', () => {
    const sp = make();
    online(sp, envelope('pack1', { voltage: 53, soc: 80 }));
    const [item] = sp.accept(envelope('pack1', { voltage: 53 }, 'good', NOW - 5), true);
    const [packet] = sp.render(item, false, NOW);
    const [m] = rawMetrics(packet);
    expect(Object.keys(m).sort()).to.deep.equal(['alias', 'isNull', 'timestamp']);
    expect(m.isNull).to.equal(true);
  });

  it('only the message stream that reported a value can retire it (one message per value, BACS modules)', () => {
    const sp = make();
    online(sp, envelope('pack1', { voltage: 53, soc: 80 }));
    // another stream of the same device (msg.topic differs) carries other keys: nothing turns null
    expect(online(sp, envelope('pack1', { mosTemperature: 30 }, 'good', NOW - 5, 'jk/pack1/mos')).map((d) => d.type)).to.deep.equal(['DDEATH', 'DBIRTH']);
    const [data] = online(sp, envelope('pack1', { voltage: 52, soc: 80 }, 'good', NOW - 4));
    expect(data.metrics.map((m) => m.value)).to.deep.equal([52]);
    // one message per value: the key's own topic
    const perValue = input({ topic: 'jk/pack1/current', payload: 4.5, device: { kind: 'jk-bms', name: 'pack1', model: 'JK-B2A24S' }, timestamp: NOW - 3 });
    expect(online(sp, perValue).map((d) => d.type)).to.deep.equal(['DDEATH', 'DBIRTH']);
    expect(online(sp, envelope('pack1', { voltage: 52, soc: 80 }, 'good', NOW - 2))).to.deep.equal([]);
  });

  it("an alarm event without a field retires only that alarm's field", () => {
    const sp = make();
    const event = { id: 'a/1', rule: 'r', state: 'unack_active', active: true, value: 3.7, since: NOW - 9 };
    online(sp, input({ payload: event }));
    online(sp, input({ payload: { ...event, id: 'a/1/x' } }));
    const [data] = online(sp, input({ payload: { id: 'a/1', rule: 'r', state: 'rtn_unack', active: false, since: NOW - 8 } }));
    expect(data.type).to.equal('DDATA');
    expect(data.metrics.map((m) => m.value).sort()).to.deep.equal([false, null, 'rtn_unack'].sort());
  });

  it('a DBIRTH lists its metrics oldest first', () => {
    const sp = make();
    online(sp, envelope('pack1', { voltage: 53, soc: 80 }, 'good', NOW - 9));
    online(sp, envelope('pack1', { voltage: 54 }, 'good', NOW - 5, 'jk/pack1/v'));
    const births = sp.births(NOW).map(decode);
    const dbirth = births.find((b) => b.type === 'DBIRTH');
    const raw = rawMetrics(sp.births(NOW)[1]);
    const stamps = raw.map((m) => longToNumber(m.timestamp));
    expect(stamps).to.deep.equal([...stamps].sort((a, b) => a - b));
    // soc was last reported at NOW - 9, everything else at NOW - 5
    expect(dbirth?.metrics[0].name).to.equal('soc');
  });

  it('refuses a metric name or device id that differs only in case, warning once', () => {
    const warnings: SparkplugWarning[] = [];
    const sp = make(warnings);
    const [birth] = online(sp, envelope('pack1', { x: 1, X: 2 }));
    expect(birth.metrics.filter((m) => m.name === 'x' || m.name === 'X').map((m) => m.name)).to.deep.equal(['x']);
    online(sp, envelope('pack1', { x: 1, X: 3 }));
    expect(warnings).to.deep.equal([{ kind: 'metricCase', device: 'pack1', name: 'X', existing: 'x' }]);
    expect(online(sp, envelope('PACK1', { voltage: 50 }))).to.deep.equal([]);
    online(sp, envelope('PACK1', { voltage: 51 }));
    expect(warnings[1]).to.deep.equal({ kind: 'deviceCase', device: 'PACK1', existing: 'pack1' });
    expect(warnings).to.have.length(2);
    expect(sp.ignored).to.be.greaterThan(0);
  });
});

describe('plain JSON (unified namespace) profile', () => {
  const uns = (): UnsProfile => new UnsProfile({ enterprise: 'acme', site: 'plant1', area: '', edge: 'nr1', qos: 0, retain: true, splitValues: true });

  it('publishes the reading retained, one topic per value, alarms retained at QoS 1', () => {
    const p = uns();
    const packets = p.accept(envelope('pack1', { voltage: 53.2, soc: 80 }));
    expect(packets.map((x) => x.topic)).to.deep.equal(['acme/plant1/jk-bms/pack1', 'acme/plant1/jk-bms/pack1/voltage', 'acme/plant1/jk-bms/pack1/soc']);
    const whole = JSON.parse(packets[0].payload.toString());
    expect(whole).to.deep.include({ timestamp: NOW - 10, quality: 'good', values: { voltage: 53.2, soc: 80 } });
    expect(JSON.parse(packets[1].payload.toString())).to.deep.equal({ timestamp: NOW - 10, quality: 'good', value: 53.2, unit: 'V' });
    expect(packets.every((x) => x.retain && x.qos === 0)).to.equal(true);
    const [alarm] = p.accept(input({ payload: { id: 'jk/pack1/cellHigh', rule: 'cellHigh', state: 'unack_active', active: true } }));
    expect(alarm).to.include({ topic: 'acme/plant1/alarms/jk/pack1/cellHigh', qos: 1, retain: true });
  });

  it('state online on connect with the last values again, offline as will and farewell', () => {
    const p = uns();
    const published = [...p.accept(envelope('pack1', { voltage: 53.2 })), ...p.accept(envelope('pack1', { voltage: 53.4 }))];
    published.forEach((item) => p.render(item));
    // accepted while offline and not rendered yet: not part of the births (the buffer flush follows them)
    p.accept(envelope('pack1', { voltage: 99 }));
    const will = p.will();
    expect(will).to.include({ topic: 'acme/plant1/edge/nr1/state', qos: 1, retain: true });
    expect(JSON.parse(will.payload.toString())).to.deep.equal({ state: 'offline' });
    const births = p.births(NOW);
    expect(JSON.parse(births[0].payload.toString())).to.deep.equal({ state: 'online', timestamp: NOW });
    expect(births.map((b) => b.topic)).to.deep.equal(['acme/plant1/edge/nr1/state', 'acme/plant1/jk-bms/pack1', 'acme/plant1/jk-bms/pack1/voltage']);
    expect(JSON.parse(births[1].payload.toString()).values.voltage).to.equal(53.4);
    expect(JSON.parse(p.farewell(NOW)[0].payload.toString()).state).to.equal('offline');
  });

  it('a stale envelope without values keeps the last values on the retained topic, marked stale', () => {
    const p = new UnsProfile({ enterprise: 'acme', site: 'plant1', area: '', edge: 'nr1', qos: 0, retain: true, splitValues: false });
    p.accept(envelope('pack1', { voltage: 53.2 }));
    const [stale] = p.accept(envelope('pack1', {}, 'stale'));
    expect(JSON.parse(stale.payload.toString())).to.deep.include({ quality: 'stale', values: { voltage: 53.2 } });
  });

  it('a circular payload is skipped, not thrown', () => {
    const p = uns();
    const reading: Record<string, unknown> = { a: 1 };
    reading.self = reading;
    expect(() => p.accept(envelope('pack1', reading))).to.not.throw();
  });
});
