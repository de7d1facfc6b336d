import { expect } from 'chai';
import { crc16Modbus, crcValid } from '../../../lib/wire/crc16';
import {
  decodeReadResponse,
  decodeRequest,
  encodeBitsResponse,
  encodeException,
  encodeReadRequest,
  encodeRegistersResponse,
  encodeWriteMultipleRegisters,
} from '../../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../../lib/wire/modbus-rtu';
import { encodeMbap, MbapSplitter } from '../../../lib/wire/mbap';

describe('lib/modbus codecs', () => {
  it('CRC-16/MODBUS of the standard check string is 0x4B37', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).to.equal(0x4b37);
  });

  it('frames a read request as the Modbus spec example (unit 1, FC3, 0x0000 x 10)', () => {
    const frame = encodeRtu(1, encodeReadRequest({ functionCode: 3, address: 0, count: 10 }));
    expect(frame.toString('hex')).to.equal('01030000000ac5cd');
  });

  it('decodes registers and refuses a corrupted CRC', () => {
    const frame = encodeRtu(1, encodeRegistersResponse(3, [0x1234, 0xffff]));
    expect(crcValid(frame)).to.equal(true);
    const regs = decodeReadResponse({ functionCode: 3, address: 0, count: 2 }, frame.subarray(1, frame.length - 2));
    expect(regs).to.deep.equal({ ok: true, value: { registers: [0x1234, 0xffff] } });
    frame[3] ^= 0x01;
    expect(crcValid(frame)).to.equal(false);
  });

  it('names exception responses and wrong lengths', () => {
    const req = { functionCode: 4 as const, address: 10, count: 2 };
    const exc = decodeReadResponse(req, encodeException(4, 2));
    expect(exc.ok).to.equal(false);
    if (!exc.ok) expect(exc.error.message).to.contain('illegal data address');
    const short = decodeReadResponse(req, encodeRegistersResponse(4, [1]));
    expect(short.ok).to.equal(false);
    if (!short.ok) expect(short.error.code).to.equal('bad_length');
  });

  it('round-trips bits and write requests', () => {
    const bits = [true, false, true, true, false, false, false, false, true];
    expect(decodeReadResponse({ functionCode: 2, address: 0, count: 9 }, encodeBitsResponse(2, bits))).to.deep.equal({
      ok: true,
      value: { bits },
    });
    expect(decodeRequest(encodeWriteMultipleRegisters(100, [1, 2, 3]))).to.deep.equal({
      ok: true,
      value: { functionCode: 16, address: 100, values: [1, 2, 3] },
    });
  });

  it('refuses write requests that contradict themselves: FC05 value, FC15/16 count against byte count and length', () => {
    const code = (bytes: number[]): string | undefined => {
      const r = decodeRequest(Buffer.from(bytes));
      return r.ok ? undefined : r.error.code;
    };
    expect(decodeRequest(Buffer.from([5, 0, 1, 0xff, 0]))).to.deep.equal({ ok: true, value: { functionCode: 5, address: 1, value: true } });
    expect(decodeRequest(Buffer.from([5, 0, 1, 0, 0]))).to.deep.equal({ ok: true, value: { functionCode: 5, address: 1, value: false } });
    expect(code([5, 0, 1, 0x12, 0x34])).to.equal('bad_value');
    expect(code([5, 0, 1, 0xff, 0, 0])).to.equal('bad_length');
    expect(code([6, 0, 1, 0, 1, 0])).to.equal('bad_length');
    expect(code([3, 0, 1, 0, 1, 0])).to.equal('bad_length');
    expect(code([15, 0, 1, 0, 9, 1, 0xff])).to.equal('bad_length');
    expect(code([15, 0, 1, 0, 0, 0])).to.equal('bad_value');
    expect(code([15, 0, 1, 0, 8, 1])).to.equal('bad_length');
    expect(decodeRequest(Buffer.from([15, 0, 1, 0, 9, 2, 0xff, 1]))).to.deep.equal({ ok: true, value: { functionCode: 15, address: 1, values: new Array<boolean>(9).fill(true) } });
    expect(code([16, 0, 1, 0, 2, 2, 0, 1])).to.equal('bad_length');
    expect(code([16, 0, 1, 0, 0, 0])).to.equal('bad_value');
    expect(code([16, 0, 1, 0, 1])).to.equal('short_frame');
  });

  it('hands out MBAP frames one at a time and keeps the rest', () => {
    const splitter = new MbapSplitter();
    splitter.append(Buffer.concat([1, 2, 3].map((id) => encodeMbap(id, 1, encodeReadRequest({ functionCode: 3, address: 0, count: 1 })))).subarray(0, 30));
    const ids: number[] = [];
    for (let f = splitter.next(); f.ok && f.value; f = splitter.next()) ids.push(f.value.transactionId);
    expect(ids).to.deep.equal([1, 2]);
    expect(splitter.buffered).to.equal(6); // part of the third
  });

  it('splits merged and split MBAP frames and refuses a bad header', () => {
    const a = encodeMbap(1, 1, encodeReadRequest({ functionCode: 3, address: 0, count: 2 }));
    const b = encodeMbap(2, 1, encodeRegistersResponse(3, [7, 8]));
    const stream = Buffer.concat([a, b]);
    const splitter = new MbapSplitter();
    const first = splitter.push(stream.subarray(0, 5));
    expect(first).to.deep.equal({ ok: true, value: [] });
    const rest = splitter.push(stream.subarray(5));
    expect(rest.ok).to.equal(true);
    if (rest.ok) expect(rest.value.map((f) => f.transactionId)).to.deep.equal([1, 2]);
    const garbage = splitter.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(garbage.ok).to.equal(false);
  });
});
