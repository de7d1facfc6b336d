/**
 * Modbus PDUs (function code + data), shared by the RTU framing of the JK Modbus map, the error typing of the
 * Modbus/TCP client (lib/modbus/client.ts) and the PLC bridge server. Pure: bytes in, typed results out, never a throw.
 */
import { fail, ok, Result } from './result';

export type ReadFunctionCode = 1 | 2 | 3 | 4;
export type WriteFunctionCode = 5 | 6 | 15 | 16;
export type FunctionCode = ReadFunctionCode | WriteFunctionCode;

/** Modbus limits per request (Modbus Application Protocol v1.1b3, 6.1-6.4). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;
export const MAX_WRITE_REGISTERS = 123;

export const EXCEPTION_NAMES: { [code: number]: string } = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

export class ModbusException extends Error {
  constructor(readonly functionCode: number, readonly exceptionCode: number) {
    super(`Modbus exception ${exceptionCode} (${EXCEPTION_NAMES[exceptionCode] ?? 'unknown'}) to function ${functionCode}`);
    this.name = 'ModbusException';
  }
}

export interface ReadRequest {
  functionCode: ReadFunctionCode;
  address: number;
  count: number;
}

export function encodeReadRequest(req: ReadRequest): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = req.functionCode;
  pdu.writeUInt16BE(req.address & 0xffff, 1);
  pdu.writeUInt16BE(req.count & 0xffff, 3);
  return pdu;
}

export function encodeWriteMultipleRegisters(address: number, values: number[]): Buffer {
  const pdu = Buffer.alloc(6 + values.length * 2);
  pdu[0] = 16;
  pdu.writeUInt16BE(address & 0xffff, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = values.length * 2;
  values.forEach((v, i) => pdu.writeUInt16BE(v & 0xffff, 6 + i * 2));
  return pdu;
}

/** Parses a request PDU (what a server receives). */
export type ParsedRequest =
  | { functionCode: ReadFunctionCode; address: number; count: number }
  | { functionCode: 5; address: number; value: boolean }
  | { functionCode: 6; address: number; value: number }
  | { functionCode: 15; address: number; values: boolean[] }
  | { functionCode: 16; address: number; values: number[] };

/** FC15 limit (Modbus Application Protocol v1.1b3, 6.11) */
export const MAX_WRITE_COILS = 0x07b0;

/**
 * Checks the request's own consistency as the spec's state diagrams do before any address check: the PDU length
 * the function implies, FC05's value (only 0x0000 and 0xFF00), and the count against the byte count of FC15/16.
 * A server answers the `bad_length`/`bad_value` errors with exception 03 (illegal data value); read counts are
 * checked by the server, which knows its limits per function.
 */
export function decodeRequest(pdu: Uint8Array): Result<ParsedRequest> {
  if (pdu.length < 5) return fail('short_frame', `request PDU of ${pdu.length} bytes`);
  const b = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.length);
  const fc = b[0];
  const address = b.readUInt16BE(1);
  const fixed = (): Result<true> => (b.length === 5 ? ok(true) : fail('bad_length', `function ${fc} request of ${b.length} bytes, not 5`));
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      const length = fixed();
      return length.ok ? ok({ functionCode: fc, address, count: b.readUInt16BE(3) }) : length;
    }
    case 5: {
      const length = fixed();
      if (!length.ok) return length;
      const value = b.readUInt16BE(3);
      // anything else is not OFF: 6.5 requires exception 03
      if (value !== 0xff00 && value !== 0x0000) return fail('bad_value', `coil value 0x${value.toString(16)}, not 0xFF00 or 0x0000`);
      return ok({ functionCode: 5, address, value: value === 0xff00 });
    }
    case 6: {
      const length = fixed();
      return length.ok ? ok({ functionCode: 6, address, value: b.readUInt16BE(3) }) : length;
    }
    case 15:
    case 16: {
      if (b.length < 6) return fail('short_frame', `function ${fc} request of ${b.length} bytes`);
      const count = b.readUInt16BE(3);
      const byteCount = b[5];
      const max = fc === 16 ? MAX_WRITE_REGISTERS : MAX_WRITE_COILS;
      if (count < 1 || count > max) return fail('bad_value', `count ${count} outside 1..${max}`);
      const want = fc === 16 ? count * 2 : Math.ceil(count / 8);
      if (byteCount !== want) return fail('bad_length', `byte count ${byteCount} for ${count} ${fc === 16 ? 'registers' : 'coils'}, not ${want}`);
      if (b.length !== 6 + byteCount) return fail('bad_length', `write request of ${b.length} bytes for byte count ${byteCount}`);
      if (fc === 16) {
        const values: number[] = [];
        for (let i = 0; i < count; i++) values.push(b.readUInt16BE(6 + i * 2));
        return ok({ functionCode: 16, address, values });
      }
      const values: boolean[] = [];
      for (let i = 0; i < count; i++) values.push(((b[6 + (i >> 3)] >> (i & 7)) & 1) === 1);
      return ok({ functionCode: 15, address, values });
    }
    default:
      return fail('unknown_command', `function code ${fc}`);
  }
}

export type ReadResponse = { registers: number[] } | { bits: boolean[] };

/**
 * Decodes the response PDU to a read request. An exception response is returned as an `exception` error whose
 * message names the exception; a wrong byte count is `bad_length`.
 */
export function decodeReadResponse(req: ReadRequest, pdu: Uint8Array): Result<ReadResponse> {
  if (pdu.length < 2) return fail('short_frame', `response PDU of ${pdu.length} bytes`);
  const fc = pdu[0];
  if (fc === (req.functionCode | 0x80)) {
    return fail('exception', new ModbusException(req.functionCode, pdu[1]).message);
  }
  if (fc !== req.functionCode) return fail('mismatch', `function ${fc} in reply to ${req.functionCode}`);
  const byteCount = pdu[1];
  if (pdu.length < 2 + byteCount) return fail('short_frame', `response shorter than its byte count ${byteCount}`);
  if (fc === 3 || fc === 4) {
    if (byteCount !== req.count * 2) return fail('bad_length', `${byteCount} bytes for ${req.count} registers`);
    const registers: number[] = new Array(req.count);
    for (let i = 0; i < req.count; i++) registers[i] = (pdu[2 + i * 2] << 8) | pdu[3 + i * 2];
    return ok({ registers });
  }
  if (byteCount !== Math.ceil(req.count / 8)) return fail('bad_length', `${byteCount} bytes for ${req.count} bits`);
  const bits: boolean[] = new Array(req.count);
  for (let i = 0; i < req.count; i++) bits[i] = ((pdu[2 + (i >> 3)] >> (i & 7)) & 1) === 1;
  return ok({ bits });
}

/** Exception code of an exception response PDU, or undefined. */
export function exceptionCodeOf(pdu: Uint8Array): number | undefined {
  return pdu.length >= 2 && (pdu[0] & 0x80) !== 0 ? pdu[1] : undefined;
}

export function encodeException(functionCode: number, exceptionCode: number): Buffer {
  return Buffer.from([functionCode | 0x80, exceptionCode]);
}

export function encodeRegistersResponse(functionCode: 3 | 4, registers: number[]): Buffer {
  const pdu = Buffer.alloc(2 + registers.length * 2);
  pdu[0] = functionCode;
  pdu[1] = registers.length * 2;
  registers.forEach((r, i) => pdu.writeUInt16BE(r & 0xffff, 2 + i * 2));
  return pdu;
}

export function encodeBitsResponse(functionCode: 1 | 2, bits: boolean[]): Buffer {
  const bytes = Math.ceil(bits.length / 8);
  const pdu = Buffer.alloc(2 + bytes);
  pdu[0] = functionCode;
  pdu[1] = bytes;
  bits.forEach((bit, i) => {
    if (bit) pdu[2 + (i >> 3)] |= 1 << (i & 7);
  });
  return pdu;
}
