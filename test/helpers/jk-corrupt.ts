/**
 * The real NW capture nw-03 of test/fixtures/jkbms-vectors.json (a JK-B2A24S20P, firmware 10.07, 13 Li-ion cells)
 * and the corruptions of it that still pass the checksum, for the plausibility tests.
 */
import { expect } from 'chai';
import { loadVectors } from '../unit/jk-vectors';

/** The real UART-TTL capture of a JK-B2A24S20P (firmware 10.07) and where its fields sit. */
export function nwCapture(): Buffer {
  const v = loadVectors().find((x) => x.id === 'nw-03-13s-b2a24s20p-v10.07');
  if (!v) throw new Error('vector nw-03 missing');
  return Buffer.from(v.hex, 'hex');
}

/** Offset of the first data byte of NW record `id` in a reply (walks the records as the decoder does). */
export function nwOffset(frame: Buffer, id: number): number {
  let at = 11;
  while (at < frame.length) {
    if (frame[at] === id) return at + 1;
    if (frame[at] === 0x79) at += 2 + frame[at + 1];
    else throw new Error(`walk only to the first records: 0x${frame[at].toString(16)}`);
  }
  throw new Error(`record 0x${id.toString(16)} not found`);
}

/** Re-sums an NW frame so it passes its checksum again, as a lucky corruption would. */
export function resumNw(frame: Buffer): Buffer {
  const length = frame.readUInt16BE(2);
  let sum = 0;
  for (let i = 0; i < length; i++) sum += frame[i];
  frame.writeUInt16BE(sum & 0xffff, length);
  return frame;
}

/** The MOS temperature of −65,436 °C, cell 5 at 65.535 V and SOC 255 % of the issue, checksum recomputed. */
export function corruptedNwCapture(options: { cell?: boolean } = {}): Buffer {
  const f = nwCapture();
  if (options.cell !== false) f.writeUInt16BE(0xffff, nwOffset(f, 0x79) + 1 + 4 * 3 + 1); // cell 5: number byte, then mV
  const order = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85];
  // records after the cell block follow in capture order: 80 81 82 (2 bytes) 83 84 (2) 85 (1)
  let at = nwOffset(f, 0x79) + 1 + f[nwOffset(f, 0x79)];
  const offsets: { [id: number]: number } = {};
  for (const id of order) {
    expect(f[at]).to.equal(id);
    offsets[id] = at + 1;
    at += id === 0x85 ? 2 : 3;
  }
  f.writeUInt16BE(0xffff, offsets[0x80]); // MOS temperature: 99 − 65535 = −65,436 °C
  f[offsets[0x85]] = 0xff; // SOC 255 %
  return resumNw(f);
}

