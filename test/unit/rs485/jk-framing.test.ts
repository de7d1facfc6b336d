/**
 * The bus framer driven by the JK protocol shapes (nodes/jk-bms/client.ts adapter), on the captured frames of
 * test/fixtures/jkbms-vectors.json: split, merged, echoed, padded and garbled the way real adapters deliver
 * them (docs/jk-bms-protocols.md §2.4).
 */
import { expect } from 'chai';
import { Framer } from '../../../lib/rs485/framer';
import { descriptionsFor } from '../../../nodes/jk-bms/client';
import { fallbackPorts } from '../../../lib/rs485/ports';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadVectors } from '../jk-vectors';

const vectors = loadVectors();
const hex = (id: string): Buffer => {
  const v = vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return Buffer.from(v.hex.replace(/\s+/g, ''), 'hex');
};

describe('lib/rs485 Framer with the JK protocol shapes (captured frames)', () => {
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
