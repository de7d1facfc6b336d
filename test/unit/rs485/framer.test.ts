import { expect } from 'chai';
import { Framer, FrameDescription, narrowed } from '../../../lib/wire/framer';
import { MODBUS_RTU_SHAPE } from '../../../nodes/jk-bms/protocol/shapes';
import { encodeRtu } from '../../../lib/wire/modbus-rtu';

/** A JK02-shaped test format: 55 AA EB 90, 300 bytes, 8-bit sum in the last byte. */
const jk02Like: FrameDescription = {
  protocol: 'jk02',
  header: [0x55, 0xaa, 0xeb, 0x90],
  maxLength: 300,
  length: () => 300,
  check: (f) => f.subarray(0, 299).reduce((s, b) => (s + b) & 0xff, 0) === f[299],
};

/** An NW-shaped test format: 4E 57, 16-bit length, 16-bit sum at the end. */
const nwLike: FrameDescription = {
  protocol: 'jk-nw',
  header: [0x4e, 0x57],
  maxLength: 1024,
  length: (h) => (h.length < 4 ? undefined : ((h[2] << 8) | h[3]) + 2),
  check: (f) => f.subarray(0, f.length - 2).reduce((s, b) => (s + b) & 0xffff, 0) === ((f[f.length - 2] << 8) | f[f.length - 1]),
};

function jk02Frame(seed: number): Buffer {
  const f = Buffer.alloc(300);
  f.set([0x55, 0xaa, 0xeb, 0x90, 0x02, 0x00]);
  for (let i = 6; i < 299; i++) f[i] = (i * 7 + seed) & 0xff;
  f[299] = f.subarray(0, 299).reduce((s, b) => (s + b) & 0xff, 0);
  return f;
}

function nwFrame(payload: number[]): Buffer {
  const body = [0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, ...payload, 0, 0, 0, 0, 0x68, 0, 0];
  const len = body.length + 2 + 2; // length field + checksum bytes
  const f = Buffer.from([0x4e, 0x57, len >> 8, len & 0xff, ...body, 0, 0]);
  const sum = f.subarray(0, f.length - 2).reduce((s, b) => (s + b) & 0xffff, 0);
  f.writeUInt16BE(sum, f.length - 2);
  return f;
}

const ack = (addr: number): Buffer => encodeRtu(addr, Buffer.from([0x10, 0x16, 0x20, 0x00, 0x01]));

/** Modbus RTU as the JK codec frames it (requests and replies, the CRC decides), from units 1-3 only. */
const rtuFromUnits = narrowed(MODBUS_RTU_SHAPE, (head) => (head.length < 1 ? undefined : [1, 2, 3].includes(head[0])));

describe('lib/wire Framer', () => {
  const descriptions = [jk02Like, nwLike, rtuFromUnits];

  it('cuts one frame delivered in one read', () => {
    const framer = new Framer(descriptions);
    const frames = framer.push(jk02Frame(1));
    expect(frames.map((f) => f.protocol)).to.deep.equal(['jk02']);
    expect(frames[0].bytes).to.deep.equal(jk02Frame(1));
    expect(framer.buffered).to.equal(0);
  });

  it('reassembles a frame split over many reads of any size', () => {
    const whole = Buffer.concat([jk02Frame(2), ack(3)]);
    for (const size of [1, 2, 3, 7, 64, 299, 301]) {
      const framer = new Framer(descriptions);
      const got: string[] = [];
      for (let i = 0; i < whole.length; i += size) got.push(...framer.push(whole.subarray(i, i + size)).map((f) => f.protocol));
      expect(got, `chunk size ${size}`).to.deep.equal(['jk02', 'modbus-rtu']);
    }
  });

  it('separates several frames merged into one read', () => {
    const framer = new Framer(descriptions);
    const merged = Buffer.concat([jk02Frame(3), ack(1), nwFrame([0x85, 0x50]), ack(2)]);
    const frames = framer.push(merged);
    expect(frames.map((f) => f.protocol)).to.deep.equal(['jk02', 'modbus-rtu', 'jk-nw', 'modbus-rtu']);
    expect(frames[1].bytes[0]).to.equal(1);
    expect(frames[3].bytes[0]).to.equal(2);
  });

  it('drops garbage and pad bytes between frames', () => {
    const framer = new Framer(descriptions);
    const noisy = Buffer.concat([Buffer.from([0x00, 0xff, 0x13]), jk02Frame(4), Buffer.from([0x00]), ack(3), Buffer.from([0x00, 0x00])]);
    const frames = framer.push(noisy);
    expect(frames.map((f) => f.protocol)).to.deep.equal(['jk02', 'modbus-rtu']);
    expect(framer.dropped).to.be.greaterThan(0);
  });

  it('resynchronises after a truncated frame with a false header', () => {
    const framer = new Framer(descriptions);
    const truncated = jk02Frame(5).subarray(0, 150);
    const frames = [...framer.push(truncated), ...framer.push(jk02Frame(6)), ...framer.push(ack(2))];
    expect(frames.map((f) => f.protocol)).to.deep.equal(['jk02', 'modbus-rtu']);
    expect(frames[0].bytes).to.deep.equal(jk02Frame(6));
  });

  it('refuses a frame whose checksum does not match and finds the next good one', () => {
    const framer = new Framer(descriptions);
    const bad = jk02Frame(7);
    bad[100] ^= 0x01;
    const frames = framer.push(Buffer.concat([bad, jk02Frame(8)]));
    expect(frames).to.have.length(1);
    expect(frames[0].bytes).to.deep.equal(jk02Frame(8));
  });

  it('ignores RTU replies from units it was not told to expect', () => {
    const framer = new Framer(descriptions);
    expect(framer.push(ack(9))).to.deep.equal([]);
    expect(framer.push(ack(1)).map((f) => f.bytes[0])).to.deep.equal([1]);
  });

  it('tells an FC10 request from its response by the CRC', () => {
    const framer = new Framer([MODBUS_RTU_SHAPE]);
    const trigger = encodeRtu(2, Buffer.from([0x10, 0x16, 0x20, 0x00, 0x01, 0x02, 0x00, 0x00]));
    const frames = framer.push(Buffer.concat([trigger, ack(2)]));
    expect(frames.map((f) => [f.protocol, f.bytes.length])).to.deep.equal([
      ['modbus-rtu', 11],
      ['modbus-rtu', 8],
    ]);
  });

  it('gives up on a false header when flushed after a quiet period', () => {
    const framer = new Framer(descriptions);
    expect(framer.push(Buffer.from([0x4e, 0x57, 0x00, 0x40, 0x01]))).to.deep.equal([]);
    expect(framer.buffered).to.equal(5);
    framer.flushStale();
    expect(framer.buffered).to.equal(0);
  });

  it('never throws and never grows without bound on random bytes', () => {
    const framer = new Framer(descriptions);
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const chunk = Buffer.alloc(1 + (rnd() % 64));
      for (let j = 0; j < chunk.length; j++) chunk[j] = i % 50 === 0 && j < 4 ? [0x55, 0xaa, 0xeb, 0x90][j] : rnd();
      framer.push(chunk);
      expect(framer.buffered).to.be.at.most(8192 + 64);
    }
    // and still finds a real frame afterwards
    framer.reset();
    expect(framer.push(jk02Frame(9)).map((f) => f.protocol)).to.deep.equal(['jk02']);
  });
});
