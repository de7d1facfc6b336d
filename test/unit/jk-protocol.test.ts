import { expect } from 'chai';
import { decodeCapture } from '../../bin/decode';
import { splitFrames } from '../../lib/wire/framer';
import { jkPresets, JK_ALARM_BY_ID } from '../../nodes/jk-bms/alarms';
import { JK02_ALARM_BITS, NW_ALARM_BITS, BALANCER_ALARM_BITS } from '../../nodes/jk-bms/protocol/alarm-bits';
import {
  autoProbes,
  buildBalancerWrite,
  buildSwitchWrite,
  buildTrigger,
  decodePoll,
  detectJk02Variant,
  getProtocol,
  JK_PROTOCOLS,
  JkDecoded,
  maskSecrets,
  nwCurrent,
  nwTemperature,
} from '../../nodes/jk-bms/protocol';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { checkVector, loadVectors, PROTOCOL_OF, Vector } from './jk-vectors';

const vectors = loadVectors();

function decodeVector(v: Vector): JkDecoded {
  const protocol = getProtocol(PROTOCOL_OF[v.protocol]);
  if (!protocol) throw new Error(v.protocol);
  const bytes = Buffer.from(v.hex, 'hex');
  const request = v.request_hex ? Buffer.from(v.request_hex, 'hex') : undefined;
  // a capture with an ack: decode the data frame and take the address from the ack, as the node does
  const frames = splitFrames(protocol.framing.shapes, bytes).frames;
  expect(frames.length, 'frames cut').to.be.greaterThan(0);
  const main = protocol.decode(frames[0].bytes, { request });
  if (!main.ok) throw new Error(`${v.id}: ${main.error.message}`);
  if (frames[1]) {
    const ack = protocol.decode(frames[1].bytes);
    if (!ack.ok) throw new Error(`${v.id} ack: ${ack.error.message}`);
    expect(ack.value.frameType).to.equal('ack');
    main.value.address = ack.value.address;
  }
  if (v.ack_hex_separate) {
    const ack = protocol.decode(Buffer.from(v.ack_hex_separate, 'hex'));
    expect(ack.ok && ack.value.frameType).to.equal('ack');
    if (ack.ok) main.value.address = ack.value.address;
  }
  return main.value;
}

describe('JK protocol codecs', () => {
  describe('captured vectors', () => {
    for (const v of vectors) {
      it(`decodes ${v.id}`, () => checkVector(v, decodeVector(v)));
    }

    for (const v of vectors) {
      it(`refuses ${v.id} with any one byte changed`, () => {
        const bytes = Buffer.from(v.hex, 'hex');
        const request = v.request_hex ? Buffer.from(v.request_hex, 'hex') : undefined;
        for (let i = 0; i < bytes.length; i++) {
          for (const flip of [0x01, 0x80, 0xff]) {
            const bad = Buffer.from(bytes);
            bad[i] ^= flip;
            const out = decodeCapture(PROTOCOL_OF[v.protocol], bad, { request });
            expect(out.ok, `byte ${i} ^ ${flip}`).to.equal(false);
          }
        }
      });
    }
  });

  describe('rules docs/jk-bms-protocols.md §11 leaves open, as named and tested rules', () => {
    it('NW temperature (settled, §3.6): 99 -> 99 °C, 100 -> 0 °C, 101 -> -1 °C', () => {
      expect(nwTemperature(99)).to.equal(99);
      expect(nwTemperature(100)).to.equal(0);
      expect(nwTemperature(101)).to.equal(-1);
      expect(nwTemperature(0)).to.equal(0);
    });

    it('NW current: sign-magnitude for protocol 1, vendor offset rule otherwise', () => {
      expect(nwCurrent(0x80d0, 1)).to.equal(2.08);
      expect(nwCurrent(0x0045, 1)).to.equal(-0.69);
      expect(nwCurrent(0x81c5, 1)).to.equal(4.53);
      expect(nwCurrent(11000, undefined)).to.equal(-10);
      expect(nwCurrent(9500, 0)).to.equal(5);
    });

    it('inverts the current sign when the decode context asks for it', () => {
      const v = vectors.find((x) => x.id === 'jk02-05-32s-charging-31A') as Vector;
      const r = JK_PROTOCOLS.jk02.decode(Buffer.from(v.hex, 'hex'), { invertCurrent: true });
      expect(r.ok && r.value.reading?.current).to.equal(-31.881);
      expect(r.ok && r.value.reading?.power).to.equal(-1696.842);
      const n = vectors.find((x) => x.id === 'nw-01-14s-esphome') as Vector;
      const rn = JK_PROTOCOLS['jk-nw'].decode(Buffer.from(n.hex, 'hex'), { invertCurrent: true });
      expect(rn.ok && rn.value.reading?.current).to.equal(-2.08);
    });

    it('detects the JK02 24S/32S layout from the cell-present mask and honours an explicit variant', () => {
      const v24 = vectors.find((x) => x.id === 'jk02-01-24s-b2a24s20p-v10.07') as Vector;
      const v32 = vectors.find((x) => x.id === 'jk02-03-32s-pb2a16s15p-v14.20') as Vector;
      expect(detectJk02Variant(Buffer.from(v24.hex, 'hex'))).to.deep.equal({ ok: true, value: '24s' });
      expect(detectJk02Variant(Buffer.from(v32.hex, 'hex'))).to.deep.equal({ ok: true, value: '32s' });
      const forced = JK_PROTOCOLS.jk02.decode(Buffer.from(v32.hex, 'hex'), { variant: '24s' });
      expect(forced.ok && forced.value.variant).to.equal('24s');
    });

    it('offers an auto probe plan: NW, JK-PB trigger, Modbus at 115200 and 9600, balancer', () => {
      const probes = autoProbes(1);
      expect(probes.map((p) => `${p.protocol}@${p.baud}`)).to.deep.equal(['jk-nw@115200', 'jk02@115200', 'jk-modbus@115200', 'jk-modbus@9600', 'jk-balancer@9600']);
      expect(probes[1].request.toString('hex')).to.equal('011016200001020000d6f1');
      expect(probes[2].request.toString('hex')).to.equal('0103120000018172');
      expect(probes[4].request.toString('hex')).to.equal('55aa01ff0000ff');
    });
  });

  describe('requests and write builders', () => {
    it('builds the documented requests', () => {
      expect(JK_PROTOCOLS['jk-nw'].buildRequests(1, 'status')[0].toString('hex')).to.equal('4e5700130000000006030000000000006800000129');
      expect(JK_PROTOCOLS.jk02.buildRequests(3, 'status')[0].toString('hex')).to.equal('031016200001020000cf91');
      expect(buildTrigger(1, 'settings').toString('hex')).to.equal('0110161e0001020000d22f');
      expect(buildTrigger(1, 'device').toString('hex')).to.equal('0110161c0001020000d3cd');
      expect(JK_PROTOCOLS['jk-balancer'].buildRequests(1, 'status')[0].toString('hex')).to.equal('55aa01ff0000ff');
      const reads = JK_PROTOCOLS['jk-modbus'].buildRequests(1, 'status');
      for (const r of reads) expect((r[4] << 8) | r[5]).to.be.at.most(40);
      expect(() => JK_PROTOCOLS.jk02.buildRequests(16, 'status')).to.throw(RangeError);
      expect(() => JK_PROTOCOLS['jk-balancer'].buildRequests(1, 'device')).to.throw(RangeError);
    });

    it('builds switch writes through the Modbus map (vector mb-write-01 and its companion)', () => {
      expect(buildSwitchWrite(2, 'balancer', true).toString('hex')).to.equal('0210107800020400000001f669');
      expect(buildSwitchWrite(2, 'balancer', false).toString('hex').slice(-4)).to.equal('37a9');
      expect(buildSwitchWrite(1, 'charge', false).subarray(2, 4).toString('hex')).to.equal('1070');
      expect(buildSwitchWrite(1, 'discharge', true).subarray(2, 4).toString('hex')).to.equal('1074');
      expect(() => buildSwitchWrite(300, 'charge', true)).to.throw(RangeError);
      expect(() => buildSwitchWrite(1, 'shutdown' as 'charge', true)).to.throw(RangeError);
    });

    it('builds balancer set commands with the documented examples and refuses out-of-range values', () => {
      expect(buildBalancerWrite(1, 'cellCount', 16).toString('hex')).to.equal('55aa01f0001000');
      expect(buildBalancerWrite(1, 'triggerDelta', 0.01).toString('hex')).to.equal('55aa01f2000afc');
      expect(buildBalancerWrite(1, 'maxBalanceCurrent', 0.5).toString('hex')).to.equal('55aa01f401f4e9');
      expect(buildBalancerWrite(1, 'balancer', true).toString('hex')).to.equal('55aa01f60001f7');
      expect(() => buildBalancerWrite(1, 'cellCount', 25)).to.throw(RangeError);
      expect(() => buildBalancerWrite(1, 'cellCount', 1)).to.throw(RangeError);
      expect(() => buildBalancerWrite(1, 'triggerDelta', 1.5)).to.throw(RangeError);
      expect(() => buildBalancerWrite(1, 'maxBalanceCurrent', 1.5)).to.throw(RangeError);
      expect(buildBalancerWrite(1, 'maxBalanceCurrent', 1.5, 2).length).to.equal(7);
      expect(() => buildBalancerWrite(1, 'maxBalanceCurrent', Number.NaN)).to.throw(RangeError);
    });

  });

  describe('simulator frames decode round-trip', () => {
    const sim = new JkSimulator({ packs: [1, 2, 7], pacing: false, tickMs: 0, cellCount: 16 });
    sim.step(30);
    sim.setPack(2, { alarms: ['cell-over-voltage', 'default-password'], current: -12.5, forcedCurrent: -12.5 });

    const respond = (request: Buffer) => {
      const reply = sim.respond(request);
      if (!reply) throw new Error('no reply');
      return reply.frames;
    };

    for (const variant of ['32s', '24s'] as const) {
      it(`JK02 ${variant} status, settings and device frames`, () => {
        const s = new JkSimulator({ packs: [3], pacing: false, tickMs: 0, variant, cellCount: variant === '24s' ? 20 : 24 });
        s.setPack(3, { current: 17.5, alarms: ['charge-over-current'] });
        const pack = s.getPack(3);
        const [frame, ack] = s.respond(buildTrigger(3, 'status'))?.frames ?? [];
        const r = JK_PROTOCOLS.jk02.decode(frame);
        if (!r.ok || !pack) throw new Error('decode');
        expect(r.value.variant).to.equal(variant);
        expect(r.value.reading?.cellVoltages).to.deep.equal(pack.cells);
        expect(r.value.reading?.current).to.equal(17.5);
        expect(r.value.reading?.alarms).to.deep.equal(['charge-over-current']);
        expect(r.value.reading?.temperatures).to.deep.equal(pack.temperatures);
        const a = JK_PROTOCOLS.jk02.decode(ack);
        expect(a.ok && a.value.address).to.equal(3);
        const settings = JK_PROTOCOLS.jk02.decode(s.respond(buildTrigger(3, 'settings'))?.frames[0] ?? Buffer.alloc(0));
        expect(settings.ok && settings.value.settings?.cellOvp).to.equal(pack.settings.cellOvp);
        expect(settings.ok && settings.value.address).to.equal(3);
        const device = JK_PROTOCOLS.jk02.decode(s.respond(buildTrigger(3, 'device'))?.frames[0] ?? Buffer.alloc(0));
        expect(device.ok && device.value.device?.serial).to.equal(pack.device.serial);
      });
    }

    it('JK Modbus: a poll of chunked FC03 reads assembles the whole live block', () => {
      const pack = sim.getPack(2);
      const exchanges = JK_PROTOCOLS['jk-modbus'].buildRequests(2, 'status').map((request) => ({ request, reply: respond(request)[0] }));
      const r = decodePoll('jk-modbus', exchanges);
      if (!r.ok || !pack) throw new Error(r.ok ? 'pack' : r.error.message);
      expect(r.value.address).to.equal(2);
      expect(r.value.reading?.cellVoltages).to.deep.equal(pack.cells);
      expect(r.value.reading?.current).to.equal(-12.5);
      expect(r.value.reading?.power).to.be.below(0);
      expect(r.value.reading?.soc).to.equal(Math.round(pack.soc));
      expect(r.value.reading?.alarms).to.deep.equal(['cell-over-voltage', 'default-password']);
      const settings = decodePoll('jk-modbus', JK_PROTOCOLS['jk-modbus'].buildRequests(2, 'settings').map((request) => ({ request, reply: respond(request)[0] })));
      expect(settings.ok && settings.value.settings?.cellUvp).to.equal(pack.settings.cellUvp);
      expect(settings.ok && settings.value.settings?.deviceAddress).to.equal(2);
      const device = decodePoll('jk-modbus', JK_PROTOCOLS['jk-modbus'].buildRequests(2, 'device').map((request) => ({ request, reply: respond(request)[0] })));
      expect(device.ok && device.value.device).to.include({ model: pack.device.model, serial: pack.device.serial, name: pack.device.name });
    });

    it('JK Modbus switch writes change the pack and are acknowledged', () => {
      const ack = JK_PROTOCOLS['jk-modbus'].decode(respond(buildSwitchWrite(7, 'charge', false))[0]);
      expect(ack.ok && ack.value.frameType).to.equal('write-ack');
      expect(sim.getPack(7)?.settings.chargeSwitch).to.equal(0);
      expect(sim.getPack(7)?.chargeEnabled).to.equal(false);
      respond(buildSwitchWrite(7, 'charge', true));
      expect(sim.getPack(7)?.chargeEnabled).to.equal(true);
      const bad = sim.respond(Buffer.from('0703400000010000', 'hex'));
      expect(bad).to.equal(undefined); // bad CRC: silence, like a real device
    });

    it('answers only the protocols its UART1 setting selects', () => {
      const s = new JkSimulator({ packs: [1], pacing: false, tickMs: 0, protocols: ['jk-modbus'] });
      expect(s.respond(JK_PROTOCOLS['jk-nw'].buildRequests(1, 'status')[0])).to.equal(undefined);
      expect(s.respond(buildTrigger(1, 'status'))).to.equal(undefined);
      expect(s.respond(JK_PROTOCOLS['jk-modbus'].buildRequests(1, 'status')[0])?.frames).to.have.lengthOf(1);
      s.protocols = new Set(['jk02']);
      expect(s.respond(JK_PROTOCOLS['jk-modbus'].buildRequests(1, 'status')[0])).to.equal(undefined);
      expect(s.respond(buildTrigger(1, 'status'))?.frames).to.have.lengthOf(2);
    });

    it('NW read-all from the lowest pack', () => {
      const pack = sim.getPack(1);
      const r = JK_PROTOCOLS['jk-nw'].decode(respond(JK_PROTOCOLS['jk-nw'].buildRequests(0, 'status')[0])[0]);
      if (!r.ok || !pack) throw new Error('decode');
      expect(r.value.reading?.cellVoltages).to.deep.equal(pack.cells);
      expect(r.value.reading?.current).to.be.closeTo(pack.current, 0.01);
      expect(r.value.reading?.temperatures).to.deep.equal(pack.temperatures.map((t) => Math.round(t)));
      expect(r.value.settings?.cellOvp).to.equal(pack.settings.cellOvp);
    });

    it('DZ11 balancer status and set commands (out-of-range ignored)', () => {
      const pack = sim.getPack(2);
      const r = JK_PROTOCOLS['jk-balancer'].decode(respond(JK_PROTOCOLS['jk-balancer'].buildRequests(2, 'status')[0])[0]);
      if (!r.ok || !pack) throw new Error('decode');
      expect(r.value.reading?.cellVoltages).to.deep.equal(pack.cells);
      expect(r.value.settings?.balanceTriggerDelta).to.equal(pack.settings.balanceTriggerDelta);
      const set = JK_PROTOCOLS['jk-balancer'].decode(respond(buildBalancerWrite(2, 'triggerDelta', 0.01))[0]);
      expect(set.ok && set.value.frameType).to.equal('write-ack');
      expect(set.ok && set.value.raw?.value).to.equal(10);
      const raw = Buffer.from([0x55, 0xaa, 2, 0xf2, 0x07, 0xd0, 0]);
      raw[6] = (0x55 + 0xaa + 2 + 0xf2 + 0x07 + 0xd0) & 0xff;
      const refused = JK_PROTOCOLS['jk-balancer'].decode(respond(raw)[0]);
      expect(refused.ok && refused.value.raw?.value).to.equal(10);
    });

    it('dynamics: protections act on the MOSFETs with recovery', () => {
      const s = new JkSimulator({ packs: [1], pacing: false, tickMs: 0 });
      const p = s.getPack(1);
      if (!p) throw new Error('pack');
      s.setPack(1, { cells: p.cells.map((c, i) => (i === 0 ? 3.7 : c)) });
      s.applyProtections(p);
      expect(p.alarms).to.include('cell-over-voltage');
      expect(p.chargeEnabled).to.equal(false);
      expect(p.dischargeEnabled).to.equal(true);
      s.setPack(1, { cells: p.cells.map(() => 3.3) });
      s.applyProtections(p);
      expect(p.alarms).not.to.include('cell-over-voltage');
      expect(p.chargeEnabled).to.equal(true);
    });

    it('dynamics: SOC follows the current and balancing narrows the spread', () => {
      const s = new JkSimulator({ packs: [1], pacing: false, tickMs: 0, capacity: 100 });
      const p = s.getPack(1);
      if (!p) throw new Error('pack');
      s.setPack(1, { forcedCurrent: 50, soc: 50 });
      s.step(360);
      expect(p.soc).to.be.closeTo(55, 0.01);
      expect(p.current).to.equal(50);
      s.setPack(1, { forcedCurrent: 0, cells: p.cells.map((c, i) => c + (i === 0 ? 0.03 : 0)) });
      const spread = () => Math.max(...p.cells) - Math.min(...p.cells);
      const before = spread();
      for (let i = 0; i < 20; i++) s.step(60);
      expect(p.balancing || spread() < before).to.equal(true);
      expect(spread()).to.be.below(before);
    });
  });

  describe('secrets', () => {
    it('masks the JK02 device-info passcodes in raw hex dumps', () => {
      const v = vectors.find((x) => x.id === 'jk02-devinfo-01-pb-addr3') as Vector;
      const masked = maskSecrets(Buffer.from(v.hex, 'hex'));
      expect(masked).not.to.include(Buffer.from('136913').toString('hex'));
      expect(masked).to.include(Buffer.from('JK_PB2A16S20P').toString('hex'));
    });
  });

  describe('alarm catalogue and presets', () => {
    it('has en-US and zh-CN text for every id a bit map can produce', () => {
      for (const id of [...JK02_ALARM_BITS, ...NW_ALARM_BITS, ...BALANCER_ALARM_BITS]) {
        const def = JK_ALARM_BY_ID.get(id);
        expect(def, id).to.not.equal(undefined);
        expect(def?.text['en-US']).to.be.a('string').and.not.equal('');
        expect(def?.text['zh-CN']).to.be.a('string').and.not.equal('');
      }
    });

    it('ships LiFePO4, Li-ion and LTO presets with recovery values and the MOS 75/65 °C limit', () => {
      expect(jkPresets.map((p) => p.id)).to.deep.equal(['jk-lifepo4', 'jk-li-ion', 'jk-lto']);
      for (const preset of jkPresets) {
        const ids = new Set<string>();
        for (const rule of preset.rules) {
          expect(ids.has(rule.id), rule.id).to.equal(false);
          ids.add(rule.id);
          if (rule.type === 'high') expect(rule.clearValue as number).to.be.below(rule.alarmValue as number);
          if (rule.type === 'low') expect(rule.clearValue as number).to.be.above(rule.alarmValue as number);
          expect(rule.thresholdSource).to.be.oneOf(['manual', 'preset']);
        }
        const mos = preset.rules.find((r) => r.path === 'payload.mosTemperature');
        expect(mos).to.include({ alarmValue: 75, clearValue: 65, thresholdSource: 'manual' });
        const ovp = preset.rules.find((r) => r.id.endsWith('cell-ovp'));
        expect(ovp).to.include({ aggregate: 'max', thresholdSource: 'preset' });
      }
    });
  });
});
