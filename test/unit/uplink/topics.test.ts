import { expect } from 'chai';
import {
  parseSparkplugTopic,
  sparkplugDeviceTopic,
  sparkplugNodeTopic,
  topicLevel,
  topicPath,
  unsAlarmTopic,
  unsDeviceTopic,
  unsRoot,
  unsStateTopic,
} from '../../../nodes/uplink/topics';
import { classify } from '../../../nodes/uplink/input';
import { brokerEndpoint } from '../../../nodes/links/mqtt-endpoint';
import { DropOldestQueue } from '../../../nodes/uplink/connection';

const scheme = { enterprise: 'acme', site: 'plant1', area: 'battery-room', edge: 'node-red' };

describe('uplink topic scheme', () => {
  it('builds the unified-namespace tree <enterprise>/<site>/<area>/<kind>/<device>', () => {
    expect(unsDeviceTopic(scheme, 'jk-bms', 'pack1')).to.equal('acme/plant1/battery-room/jk-bms/pack1');
    expect(unsDeviceTopic(scheme, 'jk-bms', 'pack1', 'soc')).to.equal('acme/plant1/battery-room/jk-bms/pack1/soc');
    expect(unsStateTopic(scheme)).to.equal('acme/plant1/battery-room/edge/node-red/state');
  });

  it('leaves out an empty area and keeps the levels of an alarm id', () => {
    const noArea = { ...scheme, area: '' };
    expect(unsRoot(noArea)).to.equal('acme/plant1');
    expect(unsAlarmTopic(noArea, 'jk/pack1/cellHigh/3')).to.equal('acme/plant1/alarms/jk/pack1/cellHigh/3');
  });

  it('cleans MQTT wildcards, separators, control characters and empty levels out of names', () => {
    expect(topicLevel('a+b#c/d')).to.equal('a_b_c_d');
    expect(topicLevel('  ')).to.equal('_');
    expect(topicLevel('x\u0000y')).to.equal('x_y');
    expect(topicPath('a//b+')).to.equal('a/_/b_');
    expect(unsDeviceTopic(scheme, 'bacs', 'string 1/2')).to.equal('acme/plant1/battery-room/bacs/string 1_2');
    // a root starting with $ would be a broker topic ($SYS) that `#` subscribers never see
    expect(unsRoot({ enterprise: '$SYS', site: 's', edge: 'e' })).to.equal('_SYS/s');
  });

  it('builds and parses Sparkplug B topics', () => {
    const ids = { group: 'dcpower', edge: 'site 1' };
    expect(sparkplugNodeTopic(ids, 'NBIRTH')).to.equal('spBv1.0/dcpower/NBIRTH/site 1');
    expect(sparkplugDeviceTopic(ids, 'DDATA', 'pack/1')).to.equal('spBv1.0/dcpower/DDATA/site 1/pack_1');
    expect(parseSparkplugTopic('spBv1.0/g/DBIRTH/e/d')).to.deep.equal({ group: 'g', type: 'DBIRTH', edge: 'e', device: 'd' });
    expect(parseSparkplugTopic('spBv1.0/g/NCMD/e')).to.deep.equal({ group: 'g', type: 'NCMD', edge: 'e', device: undefined });
    expect(parseSparkplugTopic('acme/plant1')).to.equal(undefined);
  });
});

describe('uplink input', () => {
  const now = 1_700_000_000_000;
  it('accepts the device envelope', () => {
    const r = classify(
      { topic: 'jk/pack1', payload: { voltage: 53.2, soc: 80 }, device: { kind: 'jk-bms', name: 'pack1', address: 1 }, quality: 'good', timestamp: 5, units: { voltage: 'V' }, alarms: [] },
      now,
    );
    expect(r.ok).to.equal(true);
    if (!r.ok || r.value.type !== 'reading') throw new Error('reading expected');
    expect(r.value.device).to.deep.equal({ kind: 'jk-bms', name: 'pack1', address: '1' });
    expect(r.value.timestamp).to.equal(5);
    expect(r.value.key).to.equal(undefined);
  });

  it('accepts a one-value envelope and takes the key from the topic', () => {
    const r = classify({ topic: 'jk/pack1/soc', payload: 80, device: { kind: 'jk-bms', name: 'pack1' }, units: {} }, now);
    if (!r.ok || r.value.type !== 'reading') throw new Error('reading expected');
    expect(r.value.reading).to.deep.equal({ soc: 80 });
    expect(r.value.key).to.equal('soc');
    expect(r.value.timestamp).to.equal(now);
  });

  it('accepts an alarm-rules event', () => {
    const r = classify({ payload: { id: 'jk/pack1/cellHigh/3', rule: 'cellHigh', state: 'unack_active', active: true, since: 7 } }, now);
    if (!r.ok || r.value.type !== 'alarm') throw new Error('alarm expected');
    expect(r.value.id).to.equal('jk/pack1/cellHigh/3');
    expect(r.value.timestamp).to.equal(7);
  });

  it('rejects anything else with a reason', () => {
    for (const msg of [{ payload: 1 }, { payload: { a: 1 }, device: { name: 'x' } }, { payload: { a: 1 }, device: { kind: 'k', name: 'n' }, quality: 'excellent' }, { payload: 3, device: { kind: 'k', name: 'n' }, topic: 'x' }]) {
      const r = classify(msg as Record<string, unknown>, now);
      expect(r.ok, JSON.stringify(msg)).to.equal(false);
    }
  });
});

describe('broker endpoint', () => {
  it('builds the URL and options, credentials only when given', () => {
    const e = brokerEndpoint({ host: '127.0.0.1', port: '1884', protocolVersion: '4', keepalive: 20 }, { username: 'u', password: 'p' }, 'edge-abc');
    if (!e.ok) throw new Error(e.error);
    expect(e.url).to.equal('mqtt://127.0.0.1:1884');
    expect(e.options).to.deep.include({ clientId: 'dcpower-edge-abc', protocolVersion: 4, keepalive: 20, username: 'u', password: 'p' });
    const tls = brokerEndpoint({ host: 'broker.example', port: 8883, tls: true, verifyServer: false, clientId: 'fixed' }, {}, 'x');
    if (!tls.ok) throw new Error(tls.error);
    expect(tls.url).to.equal('mqtts://broker.example:8883');
    expect(tls.options).to.deep.include({ clientId: 'fixed', protocolVersion: 5, rejectUnauthorized: false });
    expect(tls.options).to.not.have.property('username');
  });

  it('refuses a bad host or port', () => {
    expect(brokerEndpoint({ host: '', port: 1883 }, {}, 'x').ok).to.equal(false);
    expect(brokerEndpoint({ host: 'a b', port: 1883 }, {}, 'x').ok).to.equal(false);
    expect(brokerEndpoint({ host: 'h', port: 70000 }, {}, 'x').ok).to.equal(false);
  });
});

describe('uplink buffer (DropOldestQueue)', () => {
  it('keeps the newest items up to its capacity, in order, and counts the dropped ones', () => {
    const q = new DropOldestQueue<number>(3);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.length).to.equal(3);
    expect(q.dropped).to.equal(2);
    expect([q.shift(), q.shift()]).to.deep.equal([3, 4]);
    q.push(6);
    expect([q.shift(), q.shift(), q.shift()]).to.deep.equal([5, 6, undefined]);
    const none = new DropOldestQueue<number>(0);
    none.push(1);
    expect(none.length).to.equal(0);
    expect(none.dropped).to.equal(1);
  });

  it('stays fast and ordered across compactions with a large capacity', () => {
    const q = new DropOldestQueue<number>(100_000);
    for (let i = 0; i < 300_000; i++) q.push(i);
    expect(q.length).to.equal(100_000);
    expect(q.dropped).to.equal(200_000);
    let expected = 200_000;
    for (let v = q.shift(); v !== undefined; v = q.shift()) expect(v).to.equal(expected++);
    expect(expected).to.equal(300_000);
  });
});
