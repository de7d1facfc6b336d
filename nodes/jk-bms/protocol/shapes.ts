/** Checksums and frame shapes shared by the JK codecs. */
import { crc16Modbus } from '../../../lib/wire/crc16';
import type { JkFrameShape } from './types';

/** Low 8 bits of the byte sum of bytes[start, end). */
export function sum8(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += bytes[i];
  return s & 0xff;
}

/** Low 16 bits of the byte sum of bytes[start, end). */
export function sum16(bytes: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += bytes[i];
  return s & 0xffff;
}

export function crcValid(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  return crc16Modbus(frame, 0, frame.length - 2) === (frame[frame.length - 2] | (frame[frame.length - 1] << 8));
}

/**
 * Modbus RTU as JK devices use it (FC03 read, FC10 write, exceptions). RTU has no start bytes and requests and
 * replies of FC03 share their first two bytes, so every plausible length is a candidate and the CRC decides.
 */
export const MODBUS_RTU_SHAPE: JkFrameShape = {
  name: 'modbus-rtu',
  header: [],
  minBytes: 2,
  maxLength: 256,
  lengths(head) {
    if (head.length < 2 || head[0] > 247) return null;
    const fc = head[1];
    if (fc === 0x83 || fc === 0x90) return [5];
    if (fc === 0x03) return head.length < 3 ? [8] : [5 + head[2], 8].sort((a, b) => a - b);
    if (fc === 0x10) return head.length < 7 ? [8] : [8, 9 + head[6]];
    return null;
  },
  valid: crcValid,
};
