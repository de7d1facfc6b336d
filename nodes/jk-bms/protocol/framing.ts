/**
 * A pure stream framer over a protocol's frame shapes (docs/jk-bms-protocols.md §2.4): copes with split and merged
 * reads, resynchronises on start bytes, drops echo remnants, pad bytes and noise, and checks length and checksum
 * before it hands out a frame. No timers: the caller calls `flush()` after the inter-byte timeout of silence, which
 * gives up on a partial candidate at the head of the buffer.
 */
import type { JkFrameShape, JkFraming } from './types';

export interface CutFrame {
  shape: string;
  bytes: Buffer;
}

export interface FramerOutput {
  frames: CutFrame[];
  /** bytes dropped as garbage during this push */
  skipped: number;
}

type Attempt = { kind: 'frame'; length: number; shape: JkFrameShape } | { kind: 'wait' } | { kind: 'none' };

function headerState(header: readonly number[], rest: Uint8Array): 'match' | 'partial' | 'no' {
  const n = Math.min(header.length, rest.length);
  for (let i = 0; i < n; i++) if (rest[i] !== header[i]) return 'no';
  return rest.length >= header.length ? 'match' : 'partial';
}

/** What the bytes at the start of `rest` are: a complete valid frame, a possible frame still arriving, or neither. */
export function tryFrame(shapes: readonly JkFrameShape[], rest: Uint8Array): Attempt {
  let wait = false;
  for (const shape of shapes) {
    const h = headerState(shape.header, rest);
    if (h === 'no') continue;
    if (h === 'partial' || rest.length < shape.minBytes) {
      wait = true;
      continue;
    }
    const lengths = shape.lengths(rest);
    if (!lengths) continue;
    for (const length of lengths) {
      if (!Number.isInteger(length) || length < 1 || length > shape.maxLength) continue;
      if (length > rest.length) {
        wait = true;
        continue;
      }
      if (shape.valid(rest.subarray(0, length))) return { kind: 'frame', length, shape };
    }
  }
  return wait ? { kind: 'wait' } : { kind: 'none' };
}

export class JkStreamFramer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly framing: JkFraming) {}

  /** Bytes held while a frame is incomplete. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): FramerOutput {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    return this.scan(false);
  }

  /** Call after the inter-byte timeout: whatever is still partial at the head is garbage. */
  flush(): FramerOutput {
    return this.scan(true);
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
  }

  private scan(flushing: boolean): FramerOutput {
    const frames: CutFrame[] = [];
    let skipped = 0;
    let pos = 0;
    const buf = this.buffer;
    while (pos < buf.length) {
      const attempt = tryFrame(this.framing.shapes, buf.subarray(pos));
      if (attempt.kind === 'frame') {
        frames.push({ shape: attempt.shape.name, bytes: Buffer.from(buf.subarray(pos, pos + attempt.length)) });
        pos += attempt.length;
        continue;
      }
      if (attempt.kind === 'wait') {
        if (!flushing) break;
        flushing = false; // give up on this one stuck candidate only
      }
      // garbage, or a partial candidate given up at flush: drop one byte and resynchronise
      pos++;
      skipped++;
    }
    this.buffer = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return { frames, skipped };
  }
}

/** Cuts every frame out of a complete capture (tests, `dcpower decode` of a multi-frame hex string). */
export function splitFrames(framing: JkFraming, bytes: Uint8Array): FramerOutput {
  const framer = new JkStreamFramer(framing);
  const first = framer.push(bytes);
  const frames = [...first.frames];
  let skipped = first.skipped;
  // flush repeatedly: each flush gives up on one stuck head candidate and rescans the rest
  let guard = bytes.length + 1;
  while (framer.pending > 0 && guard-- > 0) {
    const out = framer.flush();
    frames.push(...out.frames);
    skipped += out.skipped;
  }
  return { frames, skipped };
}
