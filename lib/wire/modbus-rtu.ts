/** Modbus RTU framing: unit id + PDU + CRC-16 (low byte first). */
import { crc16Modbus } from './crc16';
import { fail, ok, Result } from './result';

export function encodeRtu(unitId: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unitId & 0xff;
  frame.set(pdu, 1);
  frame.writeUInt16LE(crc16Modbus(frame, 0, pdu.length + 1), pdu.length + 1);
  return frame;
}

export interface RtuFrame {
  unitId: number;
  pdu: Buffer;
}

export function decodeRtu(frame: Uint8Array): Result<RtuFrame> {
  if (frame.length < 4) return fail('short_frame', `RTU frame of ${frame.length} bytes`);
  const expected = crc16Modbus(frame, 0, frame.length - 2);
  const actual = frame[frame.length - 2] | (frame[frame.length - 1] << 8);
  if (expected !== actual) {
    return fail('bad_checksum', `CRC ${actual.toString(16).padStart(4, '0')} != ${expected.toString(16).padStart(4, '0')}`);
  }
  return ok({ unitId: frame[0], pdu: Buffer.from(frame.subarray(1, frame.length - 2)) });
}

/**
 * Expected length of an RTU response frame from its first bytes, or undefined if more bytes are needed.
 * Lets a stream framer cut frames without waiting for the 3.5-character silence.
 */
export function rtuResponseLength(head: Uint8Array): number | undefined {
  if (head.length < 2) return undefined;
  const fc = head[1];
  if (fc & 0x80) return 5;
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return head.length < 3 ? undefined : 5 + head[2];
    case 5:
    case 6:
    case 15:
    case 16:
      return 8;
    default:
      return undefined;
  }
}
