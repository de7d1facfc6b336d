/**
 * The JK client's reading of the bus: which frames answer which request (the codec's readReply, paired by
 * JkAnswerReader), the bus-master test of unsolicited frames, and listen-mode attribution on the Jk02Listener the
 * node uses, fed the frames the bus's framer cuts.
 */
import { expect } from 'chai';
import { EventEmitter } from 'events';
import { splitFrames } from '../../lib/wire/framer';
import { descriptionsFor, Jk02Listener, ListenedBus, showsBusMaster } from '../../nodes/jk-bms/client';
import { buildAck, buildBalancerStatusRequest, buildModbusRead, buildSwitchWrite, buildTrigger, JK_PROTOCOLS, JkAnswerReader, JkProtocolId } from '../../nodes/jk-bms/protocol';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { encodeException } from '../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../lib/wire/modbus-rtu';

const sim = new JkSimulator({ packs: [1, 2, 4], pacing: false, tickMs: 0 });
const replies = (request: Buffer): Buffer[] => sim.respond(request)?.frames ?? [];
const reader = (protocol: JkProtocolId, request: Buffer) => new JkAnswerReader(JK_PROTOCOLS[protocol], request, { request });

describe('JK client', () => {
  describe('which frames answer a request (codec readReply)', () => {
    it('JK02: the 300-byte frame answers only with the ack of the address and register asked', () => {
      const trigger = buildTrigger(1, 'status');
      const [frame, ack] = replies(trigger);
      const r = reader('jk02', trigger);
      expect(r.read(trigger)).to.equal('ignore'); // the echo of our own trigger
      expect(r.read(frame)).to.equal('more');
      expect(r.read(buildAck(1, 0x161e))).to.equal('ignore'); // an ack of another trigger closes someone else's frame
      expect(r.read(ack)).to.equal('ignore'); // so the frame before it was not ours
      expect(r.read(frame)).to.equal('more');
      expect(r.read(ack)).to.equal('done');
      const answer = r.answer;
      expect(answer?.frames.map((f) => f.length)).to.deep.equal([300, 8]);
      expect(answer?.reply).to.equal(frame);
      expect(answer?.decoded.ok && answer.decoded.value.frameType).to.equal('status');
    });

    it('JK02: a late frame of another pack, closed by that pack\'s ack, is never taken for ours', () => {
      const [late, lateAck] = replies(buildTrigger(2, 'status'));
      const [frame, ack] = replies(buildTrigger(4, 'status'));
      const r = reader('jk02', buildTrigger(4, 'status'));
      expect([late, lateAck, ack, frame, ack].map((f) => r.read(f))).to.deep.equal(['more', 'ignore', 'ignore', 'more', 'done']);
      expect(r.answer?.reply).to.equal(frame);
    });

    it('JK Modbus: the reply of the address and registers asked, or an exception to its function', () => {
      const request = buildModbusRead(2, 0x1200, 32);
      const [reply] = replies(request);
      const r = reader('jk-modbus', request);
      expect(r.read(request)).to.equal('ignore'); // echo
      expect(r.read(replies(buildModbusRead(1, 0x1200, 32))[0])).to.equal('ignore'); // another address
      expect(r.read(replies(buildModbusRead(2, 0x1200, 16))[0])).to.equal('ignore'); // another read of ours, late
      expect(r.read(reply)).to.equal('done');
      expect(r.answer?.decoded.ok && r.answer.decoded.value).to.include({ frameType: 'status', address: 2, register: 0x1200 });

      const refused = reader('jk-modbus', request);
      expect(refused.read(encodeRtu(2, encodeException(3, 2)))).to.equal('done');
      const decoded = refused.answer?.decoded;
      expect(decoded && !decoded.ok ? decoded.error.message : 'ok').to.equal('exception 2 (illegal data address) from address 2');
    });

    it('JK Modbus: a switch write is answered by its acknowledgement, not by a read reply', () => {
      const write = buildSwitchWrite(1, 'charge', true);
      const r = reader('jk-modbus', write);
      expect(r.read(replies(buildModbusRead(1, 0x1200, 32))[0])).to.equal('ignore');
      expect(r.read(replies(write)[0])).to.equal('done');
      expect(r.answer?.decoded.ok && r.answer.decoded.value.frameType).to.equal('write-ack');
    });

    it('NW and the balancer: a reply answers, a request never does', () => {
      const [nwRequest] = JK_PROTOCOLS['jk-nw'].buildRequests(1, 'status');
      const nw = reader('jk-nw', nwRequest);
      expect(nw.read(nwRequest)).to.equal('ignore');
      expect(nw.read(replies(nwRequest)[0])).to.equal('done');
      const balancer = reader('jk-balancer', buildBalancerStatusRequest(4));
      expect(balancer.read(replies(buildBalancerStatusRequest(2))[0])).to.equal('ignore'); // another balancer
      expect(balancer.read(replies(buildBalancerStatusRequest(4))[0])).to.equal('done');
    });
  });

  it('tells a bus master from its triggers and its own broadcasts (ack from address 0), not from packs\' replies', () => {
    const master = new JkSimulator({ packs: [0, 4], pacing: false, tickMs: 0 });
    const bus = Buffer.concat([buildTrigger(4, 'status'), ...replies(buildTrigger(4, 'status')), ...(master.respond(buildTrigger(0, 'status'))?.frames ?? [])]);
    const seen = splitFrames(descriptionsFor('jk02'), bus).frames.map((f) => [f.bytes.length, showsBusMaster(f)]);
    expect(seen).to.deep.equal([[11, true], [300, false], [8, false], [300, false], [8, true]]);
  });

  describe('listen mode attribution', () => {
    it('attributes frames from the ack that follows them, master broadcasts to address 0', () => {
      const master = new JkSimulator({ packs: [0, 4], pacing: false, tickMs: 0 });
      const wire = Buffer.concat([
        buildTrigger(4, 'status'),
        ...(master.respond(buildTrigger(4, 'status'))?.frames ?? []),
        buildTrigger(9, 'status'), // an absent pack: the master asks, nobody answers
        Buffer.of(0),
        ...(master.respond(buildTrigger(0, 'status'))?.frames ?? []),
        ...(master.respond(buildTrigger(4, 'settings'))?.frames.slice(0, 1) ?? []), // settings frame whose ack was lost
      ]);
      const bus = Object.assign(new EventEmitter(), { listen: () => () => undefined }) as unknown as ListenedBus & EventEmitter;
      const got: Array<[number, string]> = [];
      const listener = new Jk02Listener(bus, {}, (a) => got.push([a.address, a.decoded.frameType]));
      listener.start();
      for (const f of splitFrames(descriptionsFor('jk02'), wire).frames) {
        const d = JK_PROTOCOLS.jk02.decode(f.bytes);
        if (!d.ok) throw new Error(d.error.message);
        bus.emit('frame', f);
      }
      listener.flush();
      listener.stop();
      expect(got).to.deep.equal([[4, 'status'], [0, 'status'], [4, 'settings']]);
      expect(listener.lastTrigger).to.deep.equal({ address: 9, register: 0x1620 });
    });
  });
});
