/**
 * Seeded fuzz of the package's servers over real sockets: the Modbus/TCP server (under the PLC bridge and the
 * BACS simulator) and the JK simulator's RS485-to-TCP gateway. Mutations of valid requests and random bytes,
 * from many connections; afterwards the server must be alive, hold no connection it should have closed, and
 * answer a valid request correctly. Bounded in count and time.
 */
import { expect } from 'chai';
import * as net from 'net';
import { ModbusTcpServer } from '../../lib/modbus/server';
import { encodeReadRequest } from '../../lib/wire/modbus-pdu';
import { crcValid } from '../../lib/wire/crc16';
import { encodeRtu } from '../../lib/wire/modbus-rtu';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { modbusRequest } from '../helpers/modbus-raw';
import { mutate, seededRandom } from '../helpers/snmp-fuzz';

const CONNECTIONS = 40;
const FRAMES_PER_CONNECTION = 50;

/** Writes `frames` over one connection (some in one write, some split), then closes it. */
function blast(port: number, frames: Buffer[], random: () => number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      for (const frame of frames) {
        const cut = Math.floor(random() * frame.length);
        socket.write(frame.subarray(0, cut));
        socket.write(frame.subarray(cut));
      }
      setTimeout(() => socket.destroy(), 20);
    });
  });
}

function randomBytes(random: () => number, max: number): Buffer {
  return Buffer.from(Array.from({ length: 1 + Math.floor(random() * max) }, () => Math.floor(random() * 256)));
}

describe('server fuzz (seeded, real sockets)', function () {
  this.timeout(60_000);

  it('the Modbus/TCP server survives 2,000 mutated and random requests and still answers correctly', async () => {
    const server = new ModbusTcpServer({
      port: 0,
      bank: {
        readRegisters: (_fc, address, count) => Array.from({ length: count }, (_, i) => (address + i) & 0xffff),
        readBits: (_fc, _address, count) => Array.from({ length: count }, (_, i) => i % 2 === 0),
      },
    });
    const port = await server.listen();
    try {
      const random = seededRandom(2026);
      const valid = [0x03, 0x04].map((functionCode) => {
        const pdu = encodeReadRequest({ functionCode: functionCode as 3 | 4, address: 100, count: 10 });
        const adu = Buffer.alloc(7 + pdu.length);
        adu.writeUInt16BE(1, 0);
        adu.writeUInt16BE(pdu.length + 1, 4);
        adu[6] = 1;
        pdu.copy(adu, 7);
        return adu;
      });
      for (let c = 0; c < CONNECTIONS; c++) {
        const frames = Array.from({ length: FRAMES_PER_CONNECTION }, () => (random() < 0.7 ? mutate(valid[c % 2], random) : randomBytes(random, 300)));
        await blast(port, frames, random);
      }
      const reply = await modbusRequest(port, 1, encodeReadRequest({ functionCode: 3, address: 200, count: 3 }));
      expect([...reply]).to.deep.equal([0x03, 6, 0, 200, 0, 201, 0, 202]);
    } finally {
      await server.close();
    }
  });

  it('the JK simulator gateway survives 2,000 mutated and random frames and still answers a Modbus read', async () => {
    const sim = new JkSimulator({ packs: [1], port: 0, baud: 1_000_000, tickMs: 0 });
    const port = (await sim.start()).port ?? 0;
    try {
      const random = seededRandom(7);
      const valid = encodeRtu(1, encodeReadRequest({ functionCode: 3, address: 0x1200, count: 32 }));
      for (let c = 0; c < CONNECTIONS; c++) {
        const frames = Array.from({ length: FRAMES_PER_CONNECTION }, () => (random() < 0.7 ? mutate(valid, random) : randomBytes(random, 300)));
        await blast(port, frames, random);
      }
      const answer = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let buffer = Buffer.alloc(0);
        const timer = setTimeout(() => reject(new Error('no reply from the JK simulator')), 5000);
        socket.on('error', reject);
        socket.on('connect', () => socket.write(valid));
        socket.on('data', (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          if (buffer.length >= 5 + 64) {
            clearTimeout(timer);
            socket.destroy();
            resolve(buffer);
          }
        });
      });
      const frame = answer.subarray(0, 5 + 64);
      expect(crcValid(frame), frame.toString('hex')).to.equal(true);
      expect(frame[1]).to.equal(0x03);
    } finally {
      await sim.stop();
    }
  });
});
