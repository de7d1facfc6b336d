/** Modbus RTU framing: unit id + PDU + CRC-16 (low byte first). */
import { crc16Modbus } from './crc16';

export function encodeRtu(unitId: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unitId & 0xff;
  frame.set(pdu, 1);
  frame.writeUInt16LE(crc16Modbus(frame, 0, pdu.length + 1), pdu.length + 1);
  return frame;
}
