/** Modbus/TCP MBAP framing (transaction id, protocol 0, length, unit id) and a stream splitter. */
import { fail, ok, Result } from './result';

export const MBAP_HEADER_LENGTH = 7;
/** largest legal ADU: 7-byte header + 253-byte PDU */
export const MAX_ADU_LENGTH = 260;

export function encodeMbap(transactionId: number, unitId: number, pdu: Uint8Array): Buffer {
  const adu = Buffer.alloc(MBAP_HEADER_LENGTH + pdu.length);
  adu.writeUInt16BE(transactionId & 0xffff, 0);
  adu.writeUInt16BE(0, 2);
  adu.writeUInt16BE(pdu.length + 1, 4);
  adu[6] = unitId & 0xff;
  adu.set(pdu, MBAP_HEADER_LENGTH);
  return adu;
}

export interface MbapFrame {
  transactionId: number;
  unitId: number;
  pdu: Buffer;
}

/**
 * Splits a TCP byte stream into MBAP frames, coping with split and merged reads. A header that cannot be
 * valid (protocol id not 0, length out of range) is an error: the caller should drop the connection, since
 * Modbus/TCP has no way to resynchronise inside a stream.
 */
export class MbapSplitter {
  private buffer: Buffer = Buffer.alloc(0);

  /** Bytes held: part of a frame, or whole frames not yet taken with next(). */
  get buffered(): number {
    return this.buffer.length;
  }

  append(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /**
   * The next whole frame, or undefined while only part of one is held. Taking frames one at a time lets a server
   * stop between them (a client that does not read its replies) and keep the rest here, bounded by what it read.
   */
  next(): Result<MbapFrame | undefined> {
    if (this.buffer.length < MBAP_HEADER_LENGTH) return ok(undefined);
    const protocol = this.buffer.readUInt16BE(2);
    const length = this.buffer.readUInt16BE(4);
    if (protocol !== 0 || length < 2 || length > MAX_ADU_LENGTH - 6) {
      this.buffer = Buffer.alloc(0);
      return fail('bad_header', `MBAP header with protocol ${protocol}, length ${length}`);
    }
    const total = 6 + length;
    if (this.buffer.length < total) return ok(undefined);
    const frame = {
      transactionId: this.buffer.readUInt16BE(0),
      unitId: this.buffer[6],
      pdu: Buffer.from(this.buffer.subarray(MBAP_HEADER_LENGTH, total)),
    };
    this.buffer = this.buffer.subarray(total);
    return ok(frame);
  }

  push(chunk: Buffer): Result<MbapFrame[]> {
    this.append(chunk);
    const frames: MbapFrame[] = [];
    for (;;) {
      const next = this.next();
      if (!next.ok) return next;
      if (!next.value) return ok(frames);
      frames.push(next.value);
    }
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
  }
}
