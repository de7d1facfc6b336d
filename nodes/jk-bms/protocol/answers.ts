/**
 * Which frames answer a request: the codec reads each frame cut while the request waits exactly once
 * (`JkProtocol.readReply`) and this reader pairs the two frames of a JK-PB answer (docs/jk-bms-protocols.md §5.1).
 * Pure: the bus feeds it frames and asks whether the answer is complete.
 */
import type { Result } from '../../../lib/wire/result';
import type { JkDecodeContext, JkDecoded, JkProtocol } from './types';

/** One request and its answer, read once. */
export interface JkAnswer {
  request: Uint8Array;
  /** the data reply (jk02: the 300-byte frame, not the ack) */
  reply: Uint8Array;
  /** every frame of the answer in wire order (jk02: the 300-byte frame and its ack) */
  frames: Uint8Array[];
  /** the reply as readReply decoded it */
  decoded: Result<JkDecoded>;
}

/** What the bus does with a frame: the answer is complete, keep waiting, or not ours. */
export type JkReadVerdict = 'done' | 'more' | 'ignore';

export class JkAnswerReader {
  private part: { frame: Uint8Array; decoded: Result<JkDecoded> } | undefined;
  private complete: JkAnswer | undefined;

  constructor(private readonly codec: JkProtocol, readonly request: Uint8Array, private readonly context: JkDecodeContext = {}) {}

  /** The answer, once `read` said `done`. */
  get answer(): JkAnswer | undefined {
    return this.complete;
  }

  read(frame: Uint8Array): JkReadVerdict {
    if (this.complete) return 'ignore';
    const { role, decoded } = this.codec.readReply(this.request, frame, this.context);
    switch (role) {
      case 'answer':
        this.complete = { request: this.request, reply: frame, frames: [frame], decoded };
        return 'done';
      case 'part':
        this.part = { frame, decoded }; // a newer data frame replaces one whose ack never came
        return 'more';
      case 'closes': {
        const part = this.part;
        if (!part) return 'ignore';
        this.complete = { request: this.request, reply: part.frame, frames: [part.frame, frame], decoded: part.decoded };
        return 'done';
      }
      case 'foreign':
        this.part = undefined;
        return 'ignore';
      default:
        return 'ignore';
    }
  }
}
