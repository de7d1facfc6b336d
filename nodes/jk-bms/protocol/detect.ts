/**
 * Auto-detection: which protocol a frame belongs to, which JK02 layout a cell-info frame uses, and the probe
 * plan for `auto` (docs/jk-bms-protocols.md §2.2, §4.1). The 24S/32S heuristic is unverified: it looks for a plausible
 * cell-present mask (contiguous low bits) at frame offset 70 (32S) or 54 (24S).
 */
import { encodeRtu } from '../../../lib/wire/modbus-rtu';
import { encodeReadRequest } from '../../../lib/wire/modbus-pdu';
import { fail, ok, Result } from '../../../lib/wire/result';
import { readNumber } from './fields';
import type { Jk02Variant, JkProtocolId } from './types';

function isLowMask(mask: number | undefined, maxCells: number): boolean {
  if (mask === undefined || mask === 0) return false;
  const n = Math.log2(mask + 1);
  return Number.isInteger(n) && n <= maxCells;
}

export function detectJk02Variant(frame: Uint8Array): Result<Jk02Variant> {
  if (frame.length < 300) return fail('short_frame', 'JK02 frame shorter than 300 bytes');
  if (isLowMask(readNumber(frame, 70, 'u32', 'LE'), 32)) return ok('32s');
  if (isLowMask(readNumber(frame, 54, 'u32', 'LE'), 24)) return ok('24s');
  return fail('unknown_variant', 'no cell-present mask at offset 70 (32S) or 54 (24S); set the variant');
}

export interface JkProbe {
  protocol: JkProtocolId;
  baud: number;
  request: Buffer;
  /** what to tell the user when nothing answers any probe */
  hint: string;
}

/**
 * The probe sequence for `auto`, in order (docs/jk-bms-protocols.md §2.2): NW read-all and JK-PB trigger at 115200,
 * Modbus FC03 of 0x1200 quantity 1 at 115200 then 9600, balancer status at 9600. The first probe whose reply decodes
 * wins. A caller must listen first: if a bus master is already talking (unsolicited JK02 frames or triggers), it must
 * not probe at all but switch to listen mode.
 */
export function autoProbes(address: number): JkProbe[] {
  const nw = Buffer.from('4e5700130000000006030000000000006800000129', 'hex');
  const modbus = encodeRtu(address, encodeReadRequest({ functionCode: 3, address: 0x1200, count: 1 }));
  const trigger = encodeRtu(address, Buffer.from([0x10, 0x16, 0x20, 0x00, 0x01, 0x02, 0x00, 0x00]));
  const balancer = Buffer.from([0x55, 0xaa, address & 0xff, 0xff, 0x00, 0x00, (0x55 + 0xaa + (address & 0xff) + 0xff) & 0xff]);
  return [
    { protocol: 'jk-nw', baud: 115200, request: nw, hint: 'UART1 protocol 000 (NW)' },
    { protocol: 'jk02', baud: 115200, request: trigger, hint: 'JK-PB parallel bus (RS485-2), DIP address 1-15' },
    { protocol: 'jk-modbus', baud: 115200, request: modbus, hint: 'UART1 protocol 001 (Modbus 115200)' },
    { protocol: 'jk-modbus', baud: 9600, request: modbus, hint: 'UART1 protocol 013 (Modbus 9600)' },
    { protocol: 'jk-balancer', baud: 9600, request: balancer, hint: 'JK-DZ11 balancer RS485' },
  ];
}
