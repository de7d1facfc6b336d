/**
 * The bus framer driven by the JK protocol shapes (nodes/jk-bms/client.ts adapter), on the captured frames of
 * test/fixtures/jkbms-vectors.json: split, merged, echoed, padded and garbled the way real adapters deliver
 * them (docs/jk-bms-protocols.md §2.4).
 */
import { expect } from 'chai';
import { Framer, splitFrames } from '../../../lib/wire/framer';
import { buildTrigger, JK_PROTOCOLS } from '../../../nodes/jk-bms/protocol';
import { JkSimulator } from '../../../nodes/jk-bms/simulator';
import { descriptionsFor } from '../../../nodes/jk-bms/client';
import { fallbackPorts } from '../../../lib/rs485/ports';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadVectors, Vector } from '../jk-vectors';

const vectors = loadVectors();
const hex = (id: string): Buffer => {
  const v = vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return Buffer.from(v.hex.replace(/\s+/g, ''), 'hex');
};

describe('lib/wire Framer with the JK protocol shapes (captured frames)', () => {
  it('cuts a JK-PB reply (300-byte frame + ack, mpp-solar capture) from any split, with echo and pad bytes', () => {
    const reply = hex('jk02-rs485-02-pb-addr1-mppsolar'); // 308 bytes: frame + ack of address 1
    const trigger = hex('mb-req-02-trigger-status-addr1');
    const stream = Buffer.concat([trigger, Buffer.of(0), reply.subarray(0, 300), Buffer.of(0), reply.subarray(300), Buffer.of(0)]);
    for (const size of [1, 5, 17, 64, 150, 311, 1000]) {
      const framer = new Framer(descriptionsFor('jk02'));
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...framer.push(stream.subarray(i, i + size)));
      expect(frames.map((f) => [f.protocol, f.bytes.length]), `chunks of ${size}`).to.deep.equal([
        ['jk02/modbus-rtu', 11], // the trigger (an echo, or another master's request)
        ['jk02/jk02', 300],
        ['jk02/modbus-rtu', 8], // the ack carrying address 1
      ]);
      expect(frames[2].bytes[0]).to.equal(1);
    }
  });

  it('cuts NW replies merged with garbage and truncated frames', () => {
    const a = hex('nw-01-14s-esphome');
    const b = hex('nw-03-13s-b2a24s20p-v10.07');
    const framer = new Framer(descriptionsFor('jk-nw'));
    const frames = framer.push(Buffer.concat([Buffer.from('ff4e57', 'hex'), a.subarray(0, 40), a, Buffer.of(0x68, 0x00), b]));
    expect(frames.map((f) => f.bytes.length)).to.deep.equal([a.length, b.length]);
  });

  it('cuts balancer replies and refuses one with a flipped byte', () => {
    const good = hex('bal-01-17s-esphome-test');
    const bad = Buffer.from(good);
    bad[30] ^= 0x10;
    const framer = new Framer(descriptionsFor('jk-balancer', 1));
    const frames = framer.push(Buffer.concat([bad, good]));
    expect(frames.map((f) => f.bytes.equals(good))).to.deep.equal([true]);
  });

  it('takes a JK Modbus reply only from the address asked', () => {
    const reply = hex('mb-01-read-cellvol0'); // from address 1
    expect(new Framer(descriptionsFor('jk-modbus', 2)).push(reply)).to.deep.equal([]);
    expect(new Framer(descriptionsFor('jk-modbus', 1)).push(reply).map((f) => f.bytes.length)).to.deep.equal([7]);
  });
});

describe('lib/wire Framer with the JK protocol shapes (stream framing, from the JK codec tests)', () => {
  const rs485 = vectors.find((x) => x.id === 'jk02-rs485-02-pb-addr1-mppsolar') as Vector;
  const wire = Buffer.from(rs485.hex, 'hex');
  const trigger = Buffer.from('011016200001020000d6f1', 'hex');

  it('cuts an echoed trigger, pad bytes, the frame and the ack from split reads', () => {
    const stream = Buffer.concat([trigger, Buffer.of(0), wire.subarray(0, 300), Buffer.of(0), wire.subarray(300), Buffer.of(0)]);
    for (const chunk of [1, 7, 64, 1000]) {
      const framer = new Framer(JK_PROTOCOLS.jk02.framing.shapes);
      const shapes: string[] = [];
      for (let i = 0; i < stream.length; i += chunk) {
        const out = framer.push(stream.subarray(i, i + chunk));
        shapes.push(...out.map((f) => `${f.protocol}:${f.bytes.length}`));
      }
      framer.flushStale();
      expect(shapes, `chunk ${chunk}`).to.deep.equal(['modbus-rtu:11', 'jk02:300', 'modbus-rtu:8']);
      expect(framer.dropped).to.equal(3);
    }
  });

  it('names the checksum of a bad frame captured with its ack, not the length', () => {
    const sim = new JkSimulator({ packs: [1], pacing: false, tickMs: 0 });
    const reply = sim.respond(buildTrigger(1, 'status'));
    const frame = Buffer.from(reply?.frames[0] ?? []);
    frame[299] ^= 0x5a;
    const r = JK_PROTOCOLS.jk02.decode(Buffer.concat([frame, ...(reply?.frames.slice(1) ?? [])]));
    expect(r.ok ? 'ok' : r.error.code).to.equal('bad_checksum');
  });

  it('takes a 00 after the frame as the master ack when its CRC says so', () => {
    const masterAck = Buffer.from('00101620000105' + '9a', 'hex');
    const out = splitFrames(JK_PROTOCOLS.jk02.framing.shapes, Buffer.concat([wire.subarray(0, 300), masterAck]));
    expect(out.frames.map((f) => f.bytes.length)).to.deep.equal([300, 8]);
    const ack = JK_PROTOCOLS.jk02.decode(out.frames[1].bytes);
    expect(ack.ok && ack.value.address).to.equal(0);
  });

  it('resynchronises after garbage and a truncated frame', () => {
    const nwv = Buffer.from((vectors.find((x) => x.id === 'nw-01-14s-esphome') as Vector).hex, 'hex');
    const stream = Buffer.concat([Buffer.from('deadbeef', 'hex'), nwv.subarray(0, 100), nwv, nwv]);
    const out = splitFrames(JK_PROTOCOLS['jk-nw'].framing.shapes, stream);
    expect(out.frames.map((f) => f.bytes.length)).to.deep.equal([285, 285]);
  });

  it('holds a partial frame until more bytes arrive', () => {
    const framer = new Framer(JK_PROTOCOLS.jk02.framing.shapes);
    expect(framer.push(wire.subarray(0, 150))).to.have.lengthOf(0);
    expect(framer.buffered).to.equal(150);
    expect(framer.push(wire.subarray(150))).to.have.lengthOf(2);
  });
});

describe('lib/rs485 serial port listing without udev', () => {
  it('lists /dev/serial/by-id names and the usual device names, and never throws', () => {
    const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-dev-'));
    try {
      fs.mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
      for (const name of ['ttyUSB0', 'ttyACM1', 'ttyAMA0', 'ttyS0', 'ttyS7', 'tty1', 'null']) fs.writeFileSync(path.join(dev, name), '');
      fs.writeFileSync(path.join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R-if00-port0'), '');
      const ports = fallbackPorts(dev).map((p) => path.relative(dev, p.path));
      expect(ports).to.deep.equal(['serial/by-id/usb-FTDI_FT232R-if00-port0', 'ttyACM1', 'ttyAMA0', 'ttyS0', 'ttyUSB0']);
      expect(fallbackPorts(path.join(dev, 'missing'))).to.deep.equal([]);
    } finally {
      fs.rmSync(dev, { recursive: true, force: true });
    }
  });
});
