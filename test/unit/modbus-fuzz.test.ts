/**
 * Fuzz of the Modbus codecs in lib/modbus: request and response PDUs, RTU frames and the MBAP stream splitter,
 * fed random and mutated bytes. Nothing may throw; a refusal is a typed error; what decodes is consistent with
 * the bytes it came from (as many registers as asked, no coil written that the request did not carry).
 * Seeded and bounded in count and time.
 */
import { expect } from 'chai';
import { crc16Modbus, crcValid } from '../../lib/wire/crc16';
import {
  decodeReadResponse,
  decodeRequest,
  encodeBitsResponse,
  encodeException,
  encodeReadRequest,
  encodeRegistersResponse,
  encodeWriteMultipleRegisters,
  MAX_WRITE_COILS,
  MAX_WRITE_REGISTERS,
  ReadFunctionCode,
  ReadRequest,
} from '../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../lib/wire/modbus-rtu';
import { encodeMbap, MAX_ADU_LENGTH, MbapSplitter } from '../../lib/wire/mbap';
import type { CodecErrorCode } from '../../lib/wire/result';
import { mutateBytes, seededRandom as rng } from '../helpers/fuzz';

const CODES: readonly CodecErrorCode[] = ['short_frame', 'bad_header', 'bad_checksum', 'bad_length', 'unknown_variant', 'unknown_command', 'exception', 'mismatch', 'bad_value'];
const CASES = 20_000;

/** the shared mutator with at most 3 edits per frame, as this test always drew them */
const mutate = (rand: () => number, seed: Uint8Array): Buffer => mutateBytes(rand, seed, 3);

function typed(error: { code: CodecErrorCode; message: string }): void {
  if (!CODES.includes(error.code) || error.message === '') throw new Error(`untyped error ${JSON.stringify(error)}`);
}

function encodeWriteCoils(address: number, values: boolean[]): Buffer {
  const pdu = Buffer.alloc(6 + Math.ceil(values.length / 8));
  pdu[0] = 15;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = Math.ceil(values.length / 8);
  values.forEach((v, i) => {
    if (v) pdu[6 + (i >> 3)] |= 1 << (i & 7);
  });
  return pdu;
}

describe('Modbus codec fuzz (lib/modbus: PDU, RTU, MBAP)', function () {
  this.timeout(10_000);

  it(`${CASES} request PDUs through decodeRequest: typed errors, writes carry exactly the data sent`, () => {
    const rand = rng(0x3b0d);
    const started = Date.now();
    const seeds = [
      encodeReadRequest({ functionCode: 3, address: 1000, count: 15 }),
      encodeReadRequest({ functionCode: 2, address: 0, count: 8 }),
      Buffer.from([6, 0x04, 0x2e, 0, 1]), // FC06: register 1070 := 1
      Buffer.from([5, 0, 0, 0xff, 0]), // FC05: coil 0 on
      encodeWriteMultipleRegisters(0x1070, [0, 1]),
      encodeWriteCoils(16, [true, false, true, true, false, false, true, false, true]),
    ];
    let ok = 0;
    for (let i = 0; i < CASES; i++) {
      const pdu = rand() < 0.2 ? Buffer.from(Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 256))) : mutate(rand, seeds[Math.floor(rand() * seeds.length)]);
      const r = decodeRequest(pdu);
      if (!r.ok) {
        typed(r.error);
        continue;
      }
      ok++;
      const v = r.value;
      if (v.functionCode === 16) {
        if (v.values.length < 1 || v.values.length > MAX_WRITE_REGISTERS || pdu[5] !== v.values.length * 2) throw new Error(`FC16 of ${v.values.length} from ${pdu.toString('hex')}`);
        v.values.forEach((x, k) => {
          if (x !== pdu.readUInt16BE(6 + 2 * k)) throw new Error(`FC16 value ${k} from ${pdu.toString('hex')}`);
        });
      }
      if (v.functionCode === 15) {
        if (v.values.length < 1 || v.values.length > MAX_WRITE_COILS || pdu.length < 6 + Math.ceil(v.values.length / 8)) {
          throw new Error(`FC15 of ${v.values.length} coils from ${pdu.toString('hex')}`);
        }
      }
    }
    expect(ok).to.be.greaterThan(CASES / 10);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('refuses a coil write whose quantity the data does not carry (no coil is written as 0 by default)', () => {
    const bad = encodeWriteCoils(0, [true]);
    bad.writeUInt16BE(2000, 3); // 2000 coils, one data byte
    const r = decodeRequest(bad);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.error.code).to.be.oneOf(['bad_value', 'bad_length']);
    expect(decodeRequest(Buffer.from([16, 0, 0, 0, 0, 0])).ok).to.equal(false); // a write of nothing
    expect(decodeRequest(encodeWriteCoils(5, [true, false, true]))).to.deep.equal({ ok: true, value: { functionCode: 15, address: 5, values: [true, false, true] } });
  });

  it(`${CASES} response PDUs through decodeReadResponse: exactly the registers or bits asked, or a typed error`, () => {
    const rand = rng(0x4e5);
    const started = Date.now();
    let ok = 0;
    for (let i = 0; i < CASES; i++) {
      const fc = (1 + Math.floor(rand() * 4)) as ReadFunctionCode;
      const count = 1 + Math.floor(rand() * (fc >= 3 ? 125 : 300));
      const req: ReadRequest = { functionCode: fc, address: Math.floor(rand() * 65536), count };
      const clean =
        rand() < 0.1
          ? encodeException(fc, Math.floor(rand() * 12))
          : fc >= 3
            ? encodeRegistersResponse(fc as 3 | 4, Array.from({ length: count }, () => Math.floor(rand() * 65536)))
            : encodeBitsResponse(fc as 1 | 2, Array.from({ length: count }, () => rand() < 0.5));
      const pdu = rand() < 0.3 ? clean : mutate(rand, clean);
      const r = decodeReadResponse(req, pdu);
      if (!r.ok) {
        typed(r.error);
        continue;
      }
      ok++;
      const got = 'registers' in r.value ? r.value.registers : r.value.bits;
      if (got.length !== count) throw new Error(`${got.length} values for ${count} asked`);
      if ('registers' in r.value && r.value.registers.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) throw new Error('register out of 16 bits');
    }
    expect(ok).to.be.greaterThan(CASES / 10);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('RTU frames: the CRC decides', () => {
    const rand = rng(0x27c);
    const started = Date.now();
    let ok = 0;
    for (let i = 0; i < CASES; i++) {
      const pdu = rand() < 0.5 ? encodeRegistersResponse(3, Array.from({ length: Math.floor(rand() * 10) }, () => Math.floor(rand() * 65536))) : encodeReadRequest({ functionCode: 3, address: 0x1200, count: 8 });
      let frame = mutate(rand, encodeRtu(1 + Math.floor(rand() * 247), pdu));
      if (rand() < 0.5 && frame.length >= 4) {
        frame = Buffer.from(frame);
        frame.writeUInt16LE(crc16Modbus(frame, 0, frame.length - 2), frame.length - 2);
      }
      if (crcValid(frame)) ok++;
    }
    expect(ok).to.be.greaterThan(CASES / 10);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('MBAP stream: split and merged reads with garbage give whole frames or a bad_header, and the splitter recovers', () => {
    const rand = rng(0x6ba9);
    const started = Date.now();
    const splitter = new MbapSplitter();
    let frames = 0;
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const adus = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
        encodeMbap(Math.floor(rand() * 65536), Math.floor(rand() * 256), encodeRegistersResponse(3, Array.from({ length: Math.floor(rand() * 125) }, () => Math.floor(rand() * 65536)))),
      );
      let stream: Buffer = Buffer.concat(adus);
      if (rand() < 0.3) stream = mutate(rand, stream);
      let at = 0;
      while (at < stream.length) {
        const n = 1 + Math.floor(rand() * 300);
        const r = splitter.push(stream.subarray(at, at + n));
        at += n;
        if (!r.ok) {
          typed(r.error);
          expect(r.error.code).to.equal('bad_header');
          refused++;
          break; // the caller drops the connection; the splitter starts afresh
        }
        for (const f of r.value) {
          frames++;
          if (f.pdu.length < 1 || f.pdu.length + 7 > MAX_ADU_LENGTH) throw new Error(`PDU of ${f.pdu.length} bytes`);
        }
      }
      splitter.reset();
    }
    expect(frames).to.be.greaterThan(4000);
    expect(refused).to.be.greaterThan(0);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });
});
