/**
 * Stream framer for a byte stream that carries several frame formats (docs/jk-bms-protocols.md §2.4): on a shared
 * RS485 bus bytes arrive split over several reads or several frames in one read (a JK02 frame followed by its Modbus
 * acknowledgement, NW frames, Modbus RTU), with echo, pad bytes and garbage in between. The framer is driven by frame
 * descriptions (header, length from the first bytes, checksum) so it knows nothing about any one device; it cuts a
 * frame as soon as its length is known and its checksum matches, and otherwise drops one byte and resynchronises.
 * The bus, the JK simulator and `dcpower decode` all frame with it. Pure: no timers, no I/O, never throws on wire data.
 */

export interface FrameDescription {
  /** name of the format, copied into each frame (e.g. `jk02`, `jk-nw`, `modbus-rtu-response`) */
  protocol: string;
  /** fixed start bytes; empty for formats recognised by `length` alone (Modbus RTU) */
  header: readonly number[];
  /**
   * Total frame length judged from the first bytes of the buffer (which start with `header`): a number, or
   * several candidates (a Modbus FC10 request and its response start alike), `undefined` when more bytes are
   * needed to tell, or a negative number (or an empty list) when these bytes cannot start this frame.
   */
  length(head: Uint8Array): number | readonly number[] | undefined;
  /** whole-frame check (checksum, CRC, end marker) of exactly `length` bytes */
  check(frame: Uint8Array): boolean;
  /** longest frame this format can have; longer claims are garbage */
  maxLength: number;
}

export interface Frame {
  protocol: string;
  bytes: Buffer;
  /** ms since the epoch when the last byte of the frame arrived */
  at: number;
}

/** The longest the framer lets its buffer grow before it treats the head as garbage. */
export const MAX_BUFFER = 8192;

function headerMatches(buf: Uint8Array, header: readonly number[]): 'yes' | 'no' | 'partial' {
  const n = Math.min(buf.length, header.length);
  for (let i = 0; i < n; i++) if (buf[i] !== header[i]) return 'no';
  return buf.length < header.length ? 'partial' : 'yes';
}

export class Framer {
  private buffer: Buffer = Buffer.alloc(0);
  private descriptions: readonly FrameDescription[] = [];
  /** bytes dropped as garbage since the last reset, for diagnostics */
  dropped = 0;

  constructor(descriptions: readonly FrameDescription[] = []) {
    this.descriptions = descriptions;
  }

  setDescriptions(descriptions: readonly FrameDescription[]): void {
    this.descriptions = descriptions;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.dropped = 0;
  }

  /** Adds bytes from the wire and returns every complete frame they finish, in wire order. */
  push(chunk: Uint8Array, at = Date.now()): Frame[] {
    if (chunk.length > 0) this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    let start = 0;
    const buf = this.buffer;
    while (start < buf.length) {
      const view = buf.subarray(start);
      const step = this.scan(view);
      if (step.kind === 'frame') {
        frames.push({ protocol: step.protocol, bytes: Buffer.from(view.subarray(0, step.length)), at });
        start += step.length;
      } else if (step.kind === 'more' && view.length <= MAX_BUFFER) {
        break;
      } else {
        start++;
        this.dropped++;
      }
    }
    this.buffer = start >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(start));
    return frames;
  }

  /**
   * Gives up on what is buffered: drops the first byte and rescans, as if more data could not come. Called
   * after a quiet period, so a false header (a stray `4E` or `55`) cannot hold the buffer forever.
   */
  flushStale(at = Date.now()): Frame[] {
    const frames: Frame[] = [];
    while (this.buffer.length > 0) {
      this.buffer = Buffer.from(this.buffer.subarray(1));
      this.dropped++;
      frames.push(...this.push(Buffer.alloc(0), at));
      if (frames.length > 0) break;
    }
    return frames;
  }

  private scan(view: Buffer): { kind: 'frame'; protocol: string; length: number } | { kind: 'more' } | { kind: 'none' } {
    let needMore = false;
    for (const d of this.descriptions) {
      const header = headerMatches(view, d.header);
      if (header === 'no') continue;
      if (header === 'partial') {
        needMore = true;
        continue;
      }
      let answer: number | readonly number[] | undefined;
      try {
        answer = d.length(view);
      } catch {
        continue;
      }
      if (answer === undefined) {
        needMore = true;
        continue;
      }
      const candidates = typeof answer === 'number' ? [answer] : answer;
      for (const length of candidates) {
        if (!Number.isInteger(length) || length <= 0 || length < d.header.length || length > d.maxLength) continue;
        if (view.length < length) {
          needMore = true;
          continue;
        }
        let valid = false;
        try {
          valid = d.check(view.subarray(0, length));
        } catch {
          valid = false;
        }
        if (valid) return { kind: 'frame', protocol: d.protocol, length };
      }
    }
    return needMore ? { kind: 'more' } : { kind: 'none' };
  }
}

/** Narrows which frames of a description count, by their first bytes (e.g. the Modbus unit ids expected). */
export function narrowed(d: FrameDescription, accept: (head: Uint8Array) => boolean | undefined, protocol = d.protocol): FrameDescription {
  return {
    ...d,
    protocol,
    length(head) {
      const verdict = accept(head);
      if (verdict === false) return -1;
      if (verdict === undefined) return undefined;
      return d.length(head);
    },
  };
}

/** Cuts every frame out of a complete capture (`dcpower decode` of a multi-frame hex string, tests). */
export function splitFrames(descriptions: readonly FrameDescription[], bytes: Uint8Array): { frames: Frame[]; dropped: number } {
  const framer = new Framer(descriptions);
  const frames = framer.push(bytes, 0);
  // nothing more will come: give up on each stuck head candidate in turn and rescan what follows it
  while (framer.buffered > 0) frames.push(...framer.flushStale(0));
  return { frames, dropped: framer.dropped };
}
