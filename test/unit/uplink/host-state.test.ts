import { expect } from 'chai';
import { hostStateTopic, parseHostState, PrimaryHostTracker } from '../../../nodes/uplink/host-state';
import { classify, UplinkInput } from '../../../nodes/uplink/input';
import type { Packet } from '../../../nodes/uplink/profile';
import { decodeSparkplug, longToNumber, SparkplugProfile } from '../../../nodes/uplink/sparkplug';

const NOW = 1_700_000_000_000;
const state = (online: boolean, timestamp: number): Buffer => Buffer.from(JSON.stringify({ online, timestamp }));

function envelope(name: string, voltage: number): UplinkInput {
  const r = classify({ topic: `jk/${name}`, payload: { voltage }, device: { kind: 'jk-bms', name }, quality: 'good', timestamp: NOW }, NOW);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function bdSeqOf(p: Packet): number | undefined {
  const m = decodeSparkplug(p.payload)?.metrics?.find((x) => x.name === 'bdSeq');
  return m ? longToNumber(m.value) : undefined;
}

describe('Sparkplug primary host STATE', () => {
  describe('topics and payloads', () => {
    it('3.0 topic under spBv1.0/STATE, 2.2 topic STATE/<id>, the id cleaned as a topic level', () => {
      expect(hostStateTopic('scada', 'v3')).to.equal('spBv1.0/STATE/scada');
      expect(hostStateTopic('scada', 'legacy')).to.equal('STATE/scada');
      expect(hostStateTopic('a/b+#', 'v3')).to.equal('spBv1.0/STATE/a_b__');
    });

    it('parses the 3.0 JSON payload', () => {
      expect(parseHostState(state(true, 5), 'v3')).to.deep.equal({ ok: true, value: { online: true, timestamp: 5 } });
      expect(parseHostState(Buffer.from(' {"timestamp": 7, "online": false} '), 'v3')).to.deep.equal({ ok: true, value: { online: false, timestamp: 7 } });
    });

    it('rejects malformed 3.0 payloads with a reason instead of throwing', () => {
      const bad = ['ONLINE', '[]', 'null', '42', '{"online":"true","timestamp":1}', '{"online":true}', '{"online":true,"timestamp":"1"}', '{"online":', '\u0000\u00ff'];
      for (const text of bad) {
        const r = parseHostState(Buffer.from(text, 'latin1'), 'v3');
        expect(r.ok, text).to.equal(false);
        if (!r.ok) expect(r.error.message, text).to.be.a('string').and.not.equal('');
      }
      // a very long payload is cut in the message
      const long = parseHostState(Buffer.from('x'.repeat(10_000)), 'v3');
      expect(long.ok).to.equal(false);
      if (!long.ok) expect(long.error.message.length).to.be.below(120);
    });

    it('an empty payload (a cleared retained STATE) says nothing and is no error', () => {
      expect(parseHostState(Buffer.alloc(0), 'v3')).to.deep.equal({ ok: true, value: undefined });
      expect(parseHostState(Buffer.alloc(0), 'legacy')).to.deep.equal({ ok: true, value: undefined });
    });

    it('parses the 2.2 ONLINE / OFFLINE payload, nothing else', () => {
      expect(parseHostState(Buffer.from('ONLINE'), 'legacy')).to.deep.equal({ ok: true, value: { online: true } });
      expect(parseHostState(Buffer.from('OFFLINE\n'), 'legacy')).to.deep.equal({ ok: true, value: { online: false } });
      expect(parseHostState(Buffer.from('online'), 'legacy').ok).to.equal(false);
      expect(parseHostState(state(true, 1), 'legacy').ok).to.equal(false);
    });
  });

  describe('tracker', () => {
    it('starts unknown, follows online and offline', () => {
      const t = new PrimaryHostTracker();
      expect(t.state).to.equal('unknown');
      expect(t.apply({ online: true, timestamp: 100 })).to.equal('online');
      expect(t.state).to.equal('online');
      expect(t.apply({ online: false, timestamp: 100 })).to.equal('offline');
      expect(t.state).to.equal('offline');
      expect(t.apply({ online: true, timestamp: 200 })).to.equal('online');
    });

    it('ignores an offline older than the last online (the will of an earlier host session)', () => {
      const t = new PrimaryHostTracker();
      t.apply({ online: true, timestamp: 100 });
      t.apply({ online: true, timestamp: 200 });
      expect(t.apply({ online: false, timestamp: 100 })).to.equal('ignored');
      expect(t.state).to.equal('online');
      // same timestamp as the last online: the will of the current session
      expect(t.apply({ online: false, timestamp: 200 })).to.equal('offline');
    });

    it('ignores an online older than the newest STATE, and never moves its timestamp backwards', () => {
      const t = new PrimaryHostTracker();
      t.apply({ online: true, timestamp: 1_000 });
      expect(t.apply({ online: false, timestamp: 1_000 })).to.equal('offline');
      // the TCK's wrong-timestamp step: an old online after the current offline
      expect(t.apply({ online: true, timestamp: 16_671_135 - 16_671_000 })).to.equal('ignored');
      expect(t.state).to.equal('offline');
      // an old offline after that: still ignored against the newest (1000), not against the old online
      expect(t.apply({ online: false, timestamp: 500 })).to.equal('ignored');
      expect(t.apply({ online: true, timestamp: 999 })).to.equal('ignored');
      expect(t.apply({ online: true, timestamp: 2_000 })).to.equal('online');
      // a host that disconnects cleanly stamps its offline with the time of the disconnect: newer, obeyed
      expect(t.apply({ online: false, timestamp: 3_000 })).to.equal('offline');
      expect(t.apply({ online: true, timestamp: 2_000 })).to.equal('ignored');
    });

    it('an offline before any online counts; legacy messages without timestamps always count', () => {
      const t = new PrimaryHostTracker();
      expect(t.apply({ online: false, timestamp: 5 })).to.equal('offline');
      const l = new PrimaryHostTracker();
      expect(l.apply({ online: true })).to.equal('online');
      expect(l.apply({ online: false })).to.equal('offline');
      expect(l.apply(undefined)).to.equal('ignored');
      expect(l.state).to.equal('offline');
    });
  });

  describe('SparkplugProfile with a primary host', () => {
    const make = (form: 'v3' | 'legacy' = 'v3', seen: number[] = []): SparkplugProfile =>
      new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms', primaryHost: { id: 'scada', form }, onBdSeq: (n) => seen.push(n) });

    it('subscribes to NCMD and the STATE topic and holds the births', () => {
      const p = make();
      expect(p.subscriptions()).to.deep.equal(['spBv1.0/g/NCMD/e', 'spBv1.0/STATE/scada']);
      expect(p.holdsBirths()).to.equal(true);
      expect(p.hostState).to.equal('unknown');
      const none = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'alarms' });
      expect(none.holdsBirths()).to.equal(false);
      expect(none.hostState).to.equal(undefined);
      expect(none.session('spBv1.0/STATE/scada', state(true, 1))).to.equal(undefined);
    });

    it('announce on online, end a born session on offline, hold an unborn one, ignore other topics', () => {
      const p = make();
      p.will(NOW);
      expect(p.session('spBv1.0/g/NCMD/e', Buffer.alloc(0))).to.equal(undefined);
      expect(p.session('spBv1.0/STATE/scada', state(false, 10))).to.deep.equal({ action: 'hold' });
      expect(p.buffering(), 'nothing buffered while the host is known offline').to.equal(false);
      expect(p.session('spBv1.0/STATE/scada', state(true, 20))).to.deep.equal({ action: 'announce' });
      expect(p.buffering()).to.equal(true);
      p.births(NOW);
      expect(p.session('spBv1.0/STATE/scada', state(false, 10)), 'older offline').to.deep.equal({ action: 'ignore' });
      expect(p.session('spBv1.0/STATE/scada', state(false, 20))).to.deep.equal({ action: 'end' });
      expect(p.hostState).to.equal('offline');
    });

    it('a malformed STATE is ignored with a reason and changes nothing', () => {
      const p = make();
      const s = p.session('spBv1.0/STATE/scada', Buffer.from('{"online":yes}'));
      expect(s?.action).to.equal('ignore');
      expect(s?.error).to.match(/not JSON/);
      expect(p.hostState).to.equal('unknown');
    });

    it('legacy 2.2 host on STATE/<id>', () => {
      const p = make('legacy');
      expect(p.subscriptions()).to.include('STATE/scada');
      expect(p.session('STATE/scada', Buffer.from('ONLINE'))).to.deep.equal({ action: 'announce' });
      expect(p.session('spBv1.0/STATE/scada', Buffer.from('ONLINE'))).to.equal(undefined);
    });

    it('the NDEATH farewell after offline carries the bdSeq of the will; values meanwhile go into the next DBIRTH', () => {
      const seen: number[] = [];
      const p = make('v3', seen);
      const will = p.will(NOW);
      p.session('spBv1.0/STATE/scada', state(true, 1));
      p.births(NOW);
      p.accept(envelope('pack1', 50), true);
      p.session('spBv1.0/STATE/scada', state(false, 1));
      const farewell = p.farewell(NOW);
      expect(bdSeqOf(farewell[0])).to.equal(bdSeqOf(will));
      p.disconnected();
      // while the host is offline the model still follows the values
      p.accept(envelope('pack1', 48.5), false);
      const will2 = p.will(NOW);
      expect(bdSeqOf(will2)).to.equal(((bdSeqOf(will) as number) + 1) % 256);
      expect(seen).to.deep.equal([bdSeqOf(will), bdSeqOf(will2)]);
      p.session('spBv1.0/STATE/scada', state(true, 2));
      const births = p.births(NOW);
      const dbirth = births.find((b) => b.topic === 'spBv1.0/g/DBIRTH/e/pack1');
      const voltage = decodeSparkplug(dbirth?.payload ?? Buffer.alloc(0))?.metrics?.find((m) => m.name === 'voltage');
      expect(voltage?.value).to.equal(48.5);
      expect(bdSeqOf(births[0])).to.equal(bdSeqOf(will2));
    });
  });

  describe('bdSeq resumed from a store', () => {
    it('continues after the stored value; only before the first CONNECT and only a bdSeq', () => {
      const p = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'a' });
      expect(p.resumeBdSeq('7')).to.equal(false);
      expect(p.resumeBdSeq(256)).to.equal(false);
      expect(p.resumeBdSeq(1.5)).to.equal(false);
      expect(p.resumeBdSeq(41)).to.equal(true);
      expect(bdSeqOf(p.will(NOW))).to.equal(42);
      expect(p.resumeBdSeq(3)).to.equal(false);
      expect(bdSeqOf(p.will(NOW))).to.equal(43);
      const wrap = new SparkplugProfile({ group: 'g', edge: 'e', alarmsDevice: 'a' });
      wrap.resumeBdSeq(255);
      expect(bdSeqOf(wrap.will(NOW))).to.equal(0);
    });
  });
});
