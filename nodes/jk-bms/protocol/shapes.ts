/** Checksums and frame shapes shared by the JK codecs. */
import { crcValid } from '../../../lib/wire/crc16';
import type { FrameDescription } from '../../../lib/wire/framer';

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

/**
 * Modbus RTU as JK devices use it (FC03 read, FC10 write, exceptions). RTU has no start bytes and requests and
 * replies of FC03 share their first two bytes, so every plausible length is a candidate and the CRC decides.
 */
export const MODBUS_RTU_SHAPE: FrameDescription = {
  protocol: 'modbus-rtu',
  header: [],
  maxLength: 256,
  length(head) {
    if (head.length < 2) return undefined;
    if (head[0] > 247) return -1;
    const fc = head[1];
    if (fc === 0x83 || fc === 0x90) return 5;
    if (fc === 0x03) return head.length < 3 ? 8 : [5 + head[2], 8].sort((a, b) => a - b);
    if (fc === 0x10) return head.length < 7 ? 8 : [8, 9 + head[6]];
    return -1;
  },
  check: crcValid,
};
