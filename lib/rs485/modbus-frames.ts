/**
 * Frame descriptions for Modbus RTU on a shared RS485 bus. RTU has no start bytes, so a description is narrowed
 * to the unit ids and function codes the caller expects; otherwise any byte could start a 260-byte "frame".
 */
import { crc16Modbus } from '../wire/crc16';
import { rtuResponseLength } from '../wire/modbus-rtu';
import type { FrameDescription } from './framer';

export function crcValid(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame, 0, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >> 8;
}

export interface RtuFilter {
  /** unit ids accepted; all when absent */
  units?: readonly number[];
  /** function codes accepted (exception replies to them included); all when absent */
  functions?: readonly number[];
}

function accepts(filter: RtuFilter, head: Uint8Array): boolean | undefined {
  if (head.length < 1) return undefined;
  if (filter.units && !filter.units.includes(head[0])) return false;
  if (head.length < 2) return undefined;
  const fc = head[1] & 0x7f;
  if (filter.functions && !filter.functions.includes(fc)) return false;
  return true;
}

/** A Modbus RTU response (what a server sends back), optionally narrowed. */
export function rtuResponse(filter: RtuFilter = {}, protocol = 'modbus-rtu-response'): FrameDescription {
  return {
    protocol,
    header: [],
    maxLength: 256,
    length(head) {
      const ok = accepts(filter, head);
      if (ok === false) return -1;
      if (ok === undefined) return undefined;
      return rtuResponseLength(head) ?? -1;
    },
    check: crcValid,
  };
}

/** A Modbus RTU request (what a master sends), for listening to another master's traffic. */
export function rtuRequest(filter: RtuFilter = {}, protocol = 'modbus-rtu-request'): FrameDescription {
  return {
    protocol,
    header: [],
    maxLength: 256,
    length(head) {
      const ok = accepts(filter, head);
      if (ok === false) return -1;
      if (ok === undefined) return undefined;
      switch (head[1]) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
          return 8;
        case 15:
        case 16:
          return head.length < 7 ? undefined : 9 + head[6];
        default:
          return -1;
      }
    },
    check: crcValid,
  };
}
